import Redis from 'ioredis';
import type { Logger } from '../../shared';

/** What Apollo Server's caches take (`KeyValueCache` of `@apollo/utils.keyvaluecache`), typed structurally. */
export interface StringCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export interface RedisKeyValueCacheOptions {
  /** `CACHE_REDIS_URL` (default `REDIS_URL`): a Redis with an eviction policy, since caches may fill it. */
  url: string;
  /** Expiry of every entry, in seconds: a `set` asking for none or a longer one gets this. */
  ttlSeconds: number;
  /** Largest value stored, in UTF-8 bytes: larger ones are kept by no cache (the caller sends them again). */
  maxEntryBytes: number;
  /**
   * The most bytes of values this cache puts into Redis, all routers together (`APQ_MAX_TOTAL_BYTES`): half of it
   * per `ttlSeconds` window, counted in Redis, so at most two windows' entries are alive at once. Past it, new
   * entries stay in the router that registered them until the next window.
   */
  maxTotalBytes: number;
  logger: Logger;
  /** Redis key prefix. */
  prefix?: string;
  /** Bytes of values also kept in this process, least recently used dropped first. */
  localBytes?: number;
  now?: () => number;
}

interface LocalEntry {
  value: string;
  bytes: number;
  expiresAt: number;
}

/**
 * A `KeyValueCache` in Redis, shared by every router replica (automatic persisted queries: a hash registered
 * through one router is served by all), with a small copy in this process in front of it. Every entry expires
 * (`ttlSeconds`), none is larger than `maxEntryBytes`, and all of them together take at most `maxTotalBytes` of
 * Redis: a client registering a stream of distinct documents cannot fill the Redis the budgets live in. Redis is never a dependency: while it cannot be reached, or answers with an error, a read is a miss
 * (Apollo Server then asks the client for the document, which every APQ client sends) and a write is kept in
 * this process only; the router logs it once a minute at most and no request fails.
 */
export class RedisKeyValueCache implements StringCache {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly local = new Map<string, LocalEntry>();
  private localUsed = 0;
  private readonly localBytes: number;
  private readonly now: () => number;
  private readonly lastWarning = new Map<'full' | 'failing', number>();

  constructor(private readonly options: RedisKeyValueCacheOptions) {
    this.prefix = options.prefix ?? 'supergraph:';
    this.localBytes = options.localBytes ?? 8 * 1024 * 1024;
    this.now = options.now ?? Date.now;
    // Fail fast while Redis is down: a request never waits behind a reconnect, the read is a miss at once.
    this.redis = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, commandTimeout: 500 });
    this.redis.on('error', (error: Error) => this.warn(error));
    this.connected = new Promise((resolve) => {
      this.redis.once('ready', () => resolve());
      setTimeout(resolve, 1_000).unref();
    });
  }

  /** Settles once the first connection is up, or after a second (the router starts either way). */
  readonly connected: Promise<void>;

  async get(key: string): Promise<string | undefined> {
    const local = this.local.get(key);
    if (local && local.expiresAt > this.now()) {
      // Most recently used last.
      this.local.delete(key);
      this.local.set(key, local);
      return local.value;
    }
    if (local) this.forget(key);
    try {
      const [value, ttlMs] = await Promise.all([this.redis.get(this.prefix + key), this.redis.pttl(this.prefix + key)]);
      if (value === null) return undefined;
      if (Buffer.byteLength(value) <= this.options.maxEntryBytes && ttlMs > 0) this.keep(key, value, ttlMs);
      return value;
    } catch (error) {
      this.warn(error);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const bytes = Buffer.byteLength(value);
    if (bytes > this.options.maxEntryBytes) return;
    const asked = options?.ttl;
    const ttlSeconds = typeof asked === 'number' && asked > 0 ? Math.min(asked, this.options.ttlSeconds) : this.options.ttlSeconds;
    this.keep(key, value, ttlSeconds * 1000);
    try {
      // Bytes put into Redis in this window of ttlSeconds: an entry set now expires before the end of the next
      // window, so at most this window's and the last one's are alive.
      const windowMs = this.options.ttlSeconds * 1000;
      const counter = `${this.prefix}apq-bytes:${Math.floor(this.now() / windowMs)}`;
      const [[, total]] = (await this.redis
        .multi()
        .incrby(counter, bytes)
        .pexpire(counter, 2 * windowMs)
        .exec()) as [[Error | null, number], [Error | null, number]];
      if (total > this.options.maxTotalBytes / 2) {
        await this.redis.decrby(counter, bytes);
        this.warnFull();
        return;
      }
      await this.redis.set(this.prefix + key, value, 'EX', Math.ceil(ttlSeconds));
    } catch (error) {
      this.warn(error);
    }
  }

  async delete(key: string): Promise<boolean> {
    this.forget(key);
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch (error) {
      this.warn(error);
      return false;
    }
  }

  close(): void {
    this.redis.disconnect();
  }

  private keep(key: string, value: string, ttlMs: number): void {
    this.forget(key);
    const bytes = Buffer.byteLength(value);
    if (bytes > this.localBytes) return;
    while (this.localUsed + bytes > this.localBytes) this.forget(this.local.keys().next().value as string);
    this.local.set(key, { value, bytes, expiresAt: this.now() + ttlMs });
    this.localUsed += bytes;
  }

  private forget(key: string): void {
    const entry = this.local.get(key);
    if (!entry) return;
    this.local.delete(key);
    this.localUsed -= entry.bytes;
  }

  private warnFull(): void {
    this.warnAtMostEveryMinute(
      'full',
      { maxTotalBytes: this.options.maxTotalBytes },
      'the APQ cache in Redis is at APQ_MAX_TOTAL_BYTES: new documents stay in the router that registered them until the next window',
    );
  }

  private warn(error: unknown): void {
    this.warnAtMostEveryMinute(
      'failing',
      { err: error },
      'the cache Redis (CACHE_REDIS_URL, else REDIS_URL) is unreachable or failing: reads are misses, writes stay in this router',
    );
  }

  /** Logs `message` once a minute at most per kind, so that a Redis down or full does not log at every request. */
  private warnAtMostEveryMinute(kind: 'full' | 'failing', details: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - (this.lastWarning.get(kind) ?? -Infinity) < 60_000) return;
    this.lastWarning.set(kind, now);
    this.options.logger.warn(details, message);
  }
}
