import type { Logger } from '../../shared';
import type { CacheStore } from './CacheStore';
import { MemoryCacheStore } from './CacheStore';
import { EntityCache } from './EntityCache';
import type { EntityCacheConfig } from './EntityCacheConfig';
import { InvalidationBus } from './InvalidationBus';
import { RedisCacheStore } from './RedisCacheStore';

/**
 * The entity cache `config` asks for, or null when it is off: its store, and the invalidations it shares through
 * Redis when one is configured. Resolves once Redis answers (or after a second: the cache works without it, as misses).
 */
export async function createEntityCache(config: EntityCacheConfig, logger: Logger): Promise<EntityCache | null> {
  if (config.mode === 'off') return null;
  if (config.redisUrl && config.redisUrlIsBudgets) {
    logger.warn(
      'the entity cache uses REDIS_URL, the Redis of client budgets: set CACHE_REDIS_URL to a Redis of its own (budgets must never be evicted, a cache must be)',
    );
  }
  let store: CacheStore;
  if (config.mode === 'redis' && config.redisUrl) {
    const redis = new RedisCacheStore(
      config.redisUrl,
      { maxEntryBytes: config.maxEntryBytes, maxTotalBytes: config.redisMaxBytes, windowMs: config.maxTtlSeconds * 1000 },
      logger,
    );
    await redis.ready();
    store = redis;
  } else {
    store = new MemoryCacheStore(config.maxBytes, config.maxEntryBytes);
  }
  let cache: EntityCache | null = null;
  const bus = config.redisUrl ? new InvalidationBus(config.redisUrl, logger, (tags) => void cache?.invalidateRemote(tags)) : null;
  // At most a second: with Redis down the bus subscribes when it comes up.
  await bus?.ready(1_000);
  cache = new EntityCache({
    store,
    maxTtlSeconds: config.maxTtlSeconds,
    replicaSettleMs: config.replicaSettleMs,
    configuredTtls: config.configuredTtls,
    bus,
    logger,
  });
  logger.info(
    { store: store.kind, sharedInvalidations: bus !== null, configuredTtls: [...config.configuredTtls.keys()] },
    'entity cache on',
  );
  return cache;
}
