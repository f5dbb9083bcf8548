import { ConfigError, type Env, readEnum, readInteger, readOptionalString, readUrl } from '../../shared';
import type { ConfiguredTtl } from './EntityCache';

export type EntityCacheMode = 'off' | 'memory' | 'redis';

export interface EntityCacheConfig {
  /**
   * `ENTITY_CACHE`: `off` (default), `memory` (an LRU in each router) or `redis` (shared by every router, on
   * `CACHE_REDIS_URL`). Off by default: a cache changes what a deployment must reason about (staleness bounded by
   * hints and invalidations), so it is turned on deliberately.
   */
  mode: EntityCacheMode;
  /** `ENTITY_CACHE_MAX_BYTES` (default 64 MiB): the in-process store's bound (keys and values, UTF-8). */
  maxBytes: number;
  /**
   * `ENTITY_CACHE_REDIS_MAX_BYTES` (default 256 MiB): the Redis store's bound on all entries together (keys and
   * values), shared by every router; past it answers are not cached until the window ends.
   */
  redisMaxBytes: number;
  /** `ENTITY_CACHE_MAX_ENTRY_BYTES` (default 64 KiB): a larger entity is not cached (either store). */
  maxEntryBytes: number;
  /**
   * `ENTITY_CACHE_TTLS`: TTLs for answers whose subgraph gives no cache hint, by subgraph and type, e.g.
   * `account.User=30,order.Query=10:public` (`Query`: the subgraph's root fields). Private (kept per signed-in caller,
   * never for an anonymous one) unless `:public`. Unset: an answer without a hint is never cached.
   */
  configuredTtls: ReadonlyMap<string, ConfiguredTtl>;
  /** `ENTITY_CACHE_MAX_TTL_S` (default 300): the longest an entry lives, whatever the subgraph's hint. */
  maxTtlSeconds: number;
  /**
   * `ENTITY_CACHE_REPLICA_SETTLE_MS` (default 0): after an invalidation, answers fetched before this long has passed
   * are never served from the cache (they may come from a read replica that lacks the write). With read replicas,
   * set it to at least the subgraphs' `DATABASE_REPLICA_MAX_LAG_MS` plus four `DATABASE_REPLICA_CHECK_INTERVAL_MS`,
   * past which no replica in rotation can still lack a write.
   */
  replicaSettleMs: number;
  /**
   * `CACHE_REDIS_URL`, else `REDIS_URL`: the Redis of the `redis` store, and of the invalidations every router
   * subscribes to (either mode). Null: no Redis (memory only, invalidations reach this router alone).
   */
  redisUrl: string | null;
  /** Whether `redisUrl` came from `REDIS_URL` (the budgets' Redis): the router warns, a cache should have its own. */
  redisUrlIsBudgets: boolean;
  /**
   * `CACHE_ADMIN_TOKEN`: the bearer credential of `POST /cache/invalidate` on the admin port. Unset: the endpoint
   * answers 401 to everyone. Production refuses one shorter than 32 characters.
   */
  adminToken: string | null;
}

export function readEntityCacheConfig(env: Env, production: boolean): EntityCacheConfig {
  const mode = readEnum(env, 'ENTITY_CACHE', ['off', 'memory', 'redis'] as const, 'off');
  const cacheRedis = readUrl(env, 'CACHE_REDIS_URL') ?? null;
  const budgetsRedis = readUrl(env, 'REDIS_URL') ?? null;
  const redisUrl = cacheRedis ?? budgetsRedis;
  if (mode === 'redis' && !redisUrl) throw new ConfigError('ENTITY_CACHE=redis needs CACHE_REDIS_URL (or REDIS_URL)');
  const adminToken = readOptionalString(env, 'CACHE_ADMIN_TOKEN') ?? null;
  if (production && adminToken !== null && adminToken.length < 32) {
    throw new ConfigError('CACHE_ADMIN_TOKEN must be a random string of at least 32 characters in production');
  }
  return {
    mode,
    maxBytes: readInteger(env, 'ENTITY_CACHE_MAX_BYTES', 64 * 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 * 1024 }),
    redisMaxBytes: readInteger(env, 'ENTITY_CACHE_REDIS_MAX_BYTES', 256 * 1024 * 1024, {
      min: 1024 * 1024,
      max: 1024 * 1024 * 1024 * 1024,
    }),
    maxEntryBytes: readInteger(env, 'ENTITY_CACHE_MAX_ENTRY_BYTES', 64 * 1024, { min: 64, max: 64 * 1024 * 1024 }),
    configuredTtls: parseConfiguredTtls(readOptionalString(env, 'ENTITY_CACHE_TTLS') ?? ''),
    maxTtlSeconds: readInteger(env, 'ENTITY_CACHE_MAX_TTL_S', 300, { min: 1, max: 86_400 }),
    replicaSettleMs: readInteger(env, 'ENTITY_CACHE_REPLICA_SETTLE_MS', 0, { min: 0, max: 600_000 }),
    redisUrl,
    redisUrlIsBudgets: cacheRedis === null && budgetsRedis !== null,
    adminToken,
  };
}

const CONFIGURED_TTL = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)=(\d{1,6})(?::(public|private))?$/;

/** `account.User=30,order.Query=10:public` (commas or spaces between entries) as TTLs by `subgraph.Type`. */
export function parseConfiguredTtls(text: string): Map<string, ConfiguredTtl> {
  const ttls = new Map<string, ConfiguredTtl>();
  const entries = text.split(/[\s,]+/).filter(Boolean);
  entries.forEach((entry, index) => {
    const match = CONFIGURED_TTL.exec(entry);
    const seconds = match ? Number(match[3]) : 0;
    if (!match || seconds < 1 || seconds > 86_400) {
      throw new ConfigError(
        `ENTITY_CACHE_TTLS: entry ${index + 1} ("${entry.slice(0, 80)}") must be <subgraph>.<Type>=<seconds, 1 to 86400>, optionally :public or :private, e.g. account.User=30`,
      );
    }
    const name = `${match[1]}.${match[2]}`;
    if (ttls.has(name)) throw new ConfigError(`ENTITY_CACHE_TTLS: ${name} is given twice`);
    ttls.set(name, { seconds, scope: match[4] === 'public' ? 'PUBLIC' : 'PRIVATE' });
  });
  return ttls;
}
