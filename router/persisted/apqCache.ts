import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import type { Logger } from '../../shared';
import type { RouterConfig } from '../RouterConfig';
import { RedisKeyValueCache } from './RedisKeyValueCache';
import type { TrustedDocumentsMode } from './TrustedDocuments';

/**
 * Automatic persisted queries as Apollo Server takes them: off when only trusted documents may run (APQ would let
 * any client register any document); with a cache Redis (`CACHE_REDIS_URL`, else `REDIS_URL`), a hash registered
 * through one router is served by every one. `cache` is what the router closes when it stops.
 */
export async function automaticPersistedQueries(
  config: RouterConfig['apq'],
  trustedDocumentsMode: TrustedDocumentsMode,
  logger: Logger,
): Promise<{ option: ApolloServerOptions<BaseContext>['persistedQueries']; cache: RedisKeyValueCache | null }> {
  if (trustedDocumentsMode === 'enforce') return { option: false, cache: null };
  if (!config.redisUrl) return { option: { ttl: config.ttlSeconds }, cache: null };
  const cache = new RedisKeyValueCache({
    url: config.redisUrl,
    ttlSeconds: config.ttlSeconds,
    maxEntryBytes: config.maxEntryBytes,
    maxTotalBytes: config.maxTotalBytes,
    logger,
  });
  await cache.connected;
  if (config.sharesBudgetRedis) {
    logger.warn(
      'the APQ cache shares REDIS_URL with the client budgets: budget keys need a Redis with maxmemory-policy noeviction, caches want an eviction policy; set CACHE_REDIS_URL to a Redis of its own',
    );
  }
  return { option: { ttl: config.ttlSeconds, cache }, cache };
}
