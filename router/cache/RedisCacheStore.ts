import Redis from 'ioredis';
import { ENTITY_CACHE_REDIS_OPTIONS, type Logger } from '../../shared';
import type { CacheRead, CacheStore, CacheWrite } from './CacheStore';

/** Sets every tag key to Redis's time in ms, kept ARGV[1] ms. */
const INVALIDATE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do redis.call('SET', key, now, 'PX', ARGV[1]) end
return now
`;

/**
 * The entity cache in Redis, shared by every router: entries (`<prefix>e:<hash>`) with their TTL, skipped above
 * the entry size bound, and when each tag was last invalidated (`<prefix>g:<tag>`, ms on Redis's clock). A lookup
 * is one MGET of the entries and their tags with Redis's `TIME`; an invalidation sets its tags to Redis's time (a
 * script) before the router answers, so every router sees it at its next lookup.
 *
 * Redis down or slow: commands fail fast (no offline queue, 250 ms timeout), the lookup counts as a miss and
 * fills nothing, with a warning at most once a minute and the failure counted (`errors`). Never a request error.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  errors = 0;
  private readonly redis: Redis;
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly maxEntryBytes: number,
    private readonly logger: Logger,
    private readonly prefix = 'supergraph:entity-cache:',
  ) {
    this.redis = new Redis(url, ENTITY_CACHE_REDIS_OPTIONS);
    // Connection errors only warn: the operations that fail because of them are what `errors` counts.
    this.redis.on('error', (error: Error) => this.warn(error));
  }

  /** Resolves once connected (or after a second: the store works without it, as misses). */
  ready(): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      this.redis.once('ready', () => resolve());
      setTimeout(resolve, 1_000).unref();
    });
  }

  async read(keys: string[], tags: string[]): Promise<CacheRead | null> {
    try {
      const names = [...keys.map((key) => this.prefix + key), ...tags.map((tag) => `${this.prefix}g:${tag}`)];
      const results = await this.redis.pipeline().time().mget(names).exec();
      const failure = results?.find(([error]) => error)?.[0];
      if (!results || failure) throw failure ?? new Error('no answer');
      const [seconds, micros] = results[0][1] as [string, string];
      const values = results[1][1] as (string | null)[];
      return {
        entries: values.slice(0, keys.length),
        invalidatedAt: values.slice(keys.length).map((value) => (value === null ? 0 : Number(value))),
        now: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000),
      };
    } catch (error) {
      this.failed(error);
      return null;
    }
  }

  async write(entries: CacheWrite[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    let queued = 0;
    for (const { key, value, ttlMs } of entries) {
      if (Buffer.byteLength(value) + key.length > this.maxEntryBytes) continue;
      pipeline.set(this.prefix + key, value, 'PX', Math.max(1, Math.round(ttlMs)));
      queued += 1;
    }
    if (queued === 0) return;
    try {
      const results = await pipeline.exec();
      const failure = results?.find(([error]) => error)?.[0];
      if (failure) this.failed(failure);
    } catch (error) {
      this.failed(error);
    }
  }

  async invalidate(tags: string[], keepMs: number): Promise<boolean> {
    if (tags.length === 0) return true;
    try {
      // At most 1,000 keys a script: a large purge is several short commands rather than one long one.
      for (let start = 0; start < tags.length; start += 1_000) {
        const chunk = tags.slice(start, start + 1_000);
        await this.redis.eval(INVALIDATE_SCRIPT, chunk.length, ...chunk.map((tag) => `${this.prefix}g:${tag}`), keepMs);
      }
      return true;
    } catch (error) {
      this.failed(error);
      return false;
    }
  }

  onReconnect(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  bytes(): null {
    return null;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private failed(error: unknown): void {
    this.errors += 1;
    this.warn(error);
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(
      { err: error },
      'the entity cache cannot reach Redis: subgraph answers are neither read from nor written to it until it is back',
    );
  }
}
