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
 * Writes a batch of entries if the bytes written in the current window (on Redis's clock) stay within the budget.
 * KEYS: the entries. ARGV: counter prefix, window ms, bytes allowed per window, the batch's bytes, then each entry's
 * value and TTL in ms. Answers 1 when written, 0 when the window's budget is spent (nothing written).
 */
const BUDGETED_WRITE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local counter = ARGV[1] .. math.floor(now / window)
local bytes = tonumber(ARGV[4])
local total = redis.call('INCRBY', counter, bytes)
redis.call('PEXPIRE', counter, 2 * window)
if total > tonumber(ARGV[3]) then
  redis.call('DECRBY', counter, bytes)
  return 0
end
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[3 + 2 * i], 'PX', ARGV[4 + 2 * i]) end
return 1
`;

/** How the Redis store is bounded: each entry, and all of them together. */
export interface RedisStoreBounds {
  /** A larger entry (key and value) is not written. */
  maxEntryBytes: number;
  /** All entries together (`ENTITY_CACHE_REDIS_MAX_BYTES`): at most half of it is written per `windowMs`. */
  maxTotalBytes: number;
  /** The longest an entry lives (`ENTITY_CACHE_MAX_TTL_S`): entries written in a window are gone by the next one's end. */
  windowMs: number;
}

type BudgetedRedis = Redis & { budgetedWrite(keys: number, ...args: (string | number)[]): Promise<number> };

/**
 * The entity cache in Redis, shared by every router: entries (`<prefix>e:<hash>`) with their TTL, skipped above
 * the entry size bound and once the window's share of the total budget is written (every entry expires within a
 * window of the longest TTL, so at most two windows' writes are alive: `maxTotalBytes`, counted on Redis's clock
 * by every router together, a cache of its own that never relies on Redis evicting), and when each tag was last invalidated (`<prefix>g:<tag>`, ms on Redis's clock). A lookup
 * is one MGET of the entries and their tags with Redis's `TIME`; an invalidation sets its tags to Redis's time (a
 * script) before the router answers, so every router sees it at its next lookup.
 *
 * Redis down or slow: commands fail fast (no offline queue, 250 ms timeout), the lookup counts as a miss and
 * fills nothing, with a warning at most once a minute and the failure counted (`errors`). Never a request error.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  errors = 0;
  /** Batches not written because the window's budget was spent (`entity_cache_budget_skips_total`). */
  budgetSkips = 0;
  private readonly redis: BudgetedRedis;
  private lastBudgetWarning = 0;
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly bounds: RedisStoreBounds,
    private readonly logger: Logger,
    private readonly prefix = 'supergraph:entity-cache:',
  ) {
    this.redis = new Redis(url, ENTITY_CACHE_REDIS_OPTIONS) as BudgetedRedis;
    this.redis.defineCommand('budgetedWrite', { lua: BUDGETED_WRITE_SCRIPT });
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
    const keys: string[] = [];
    const values: (string | number)[] = [];
    let bytes = 0;
    for (const { key, value, ttlMs } of entries) {
      const size = Buffer.byteLength(value) + this.prefix.length + key.length;
      if (size > this.bounds.maxEntryBytes) continue;
      keys.push(this.prefix + key);
      values.push(value, Math.max(1, Math.round(ttlMs)));
      bytes += size;
    }
    if (keys.length === 0) return;
    try {
      const { maxTotalBytes, windowMs } = this.bounds;
      const written = await this.redis.budgetedWrite(
        keys.length,
        ...keys,
        `${this.prefix}bytes:`,
        windowMs,
        Math.floor(maxTotalBytes / 2),
        bytes,
        ...values,
      );
      if (written === 0) this.budgetSpent();
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

  private budgetSpent(): void {
    this.budgetSkips += 1;
    if (Date.now() - this.lastBudgetWarning < 60_000) return;
    this.lastBudgetWarning = Date.now();
    this.logger.warn(
      { maxTotalBytes: this.bounds.maxTotalBytes },
      'the entity cache in Redis is at ENTITY_CACHE_REDIS_MAX_BYTES: answers are not cached until the window ends',
    );
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
