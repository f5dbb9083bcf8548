import Redis from 'ioredis';
import type { Logger } from '../../shared';
import type { BudgetConfig } from './DemandControlConfig';

export interface TakeResult {
  allowed: boolean;
  /** Points left after this call (after the take when allowed). */
  available: number;
  /** Seconds until enough points have been restored, when refused. */
  retryAfterSeconds: number;
}

/** The size of one client's bucket: the configured default, or an API key's own. */
export type BudgetLimits = Pick<BudgetConfig, 'capacity' | 'restorePerSecond'>;

/** A leaky bucket of cost points per client. */
export interface BudgetStore {
  /** Takes `cost` points if the bucket holds them; otherwise takes nothing. `limits` default to the configured ones. */
  take(client: string, cost: number, limits?: BudgetLimits): Promise<TakeResult>;
  /** Gives `points` back (never above capacity); resolves with the points now available. */
  refund(client: string, points: number, limits?: BudgetLimits): Promise<number>;
  close(): Promise<void>;
}

function retryAfter(config: BudgetLimits, missing: number): number {
  return Math.max(1, Math.ceil(missing / config.restorePerSecond));
}

/** Buckets in this process: exact for one router, one budget per replica behind a load balancer. */
export class InMemoryBudgetStore implements BudgetStore {
  private readonly buckets = new Map<string, { level: number; at: number }>();

  constructor(
    private readonly config: BudgetConfig,
    private readonly maxClients = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  private level(client: string, limits: BudgetLimits): { level: number; at: number } {
    const bucket = this.buckets.get(client);
    const now = this.now();
    const level = bucket ? Math.min(limits.capacity, bucket.level + ((now - bucket.at) / 1000) * limits.restorePerSecond) : limits.capacity;
    const updated = { level, at: now };
    this.buckets.delete(client);
    if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.keys().next().value as string);
    this.buckets.set(client, updated);
    return updated;
  }

  async take(client: string, cost: number, limits: BudgetLimits = this.config): Promise<TakeResult> {
    const bucket = this.level(client, limits);
    if (cost > bucket.level) return { allowed: false, available: bucket.level, retryAfterSeconds: retryAfter(limits, cost - bucket.level) };
    bucket.level -= cost;
    return { allowed: true, available: bucket.level, retryAfterSeconds: 0 };
  }

  async refund(client: string, points: number, limits: BudgetLimits = this.config): Promise<number> {
    const bucket = this.level(client, limits);
    bucket.level = Math.min(limits.capacity, bucket.level + points);
    return bucket.level;
  }

  async close(): Promise<void> {}
}

/**
 * One script for take and refund, run atomically by Redis with Redis's own clock, so that several routers
 * share each bucket exactly and never overspend it, whatever their clocks say.
 * KEYS[1] bucket; ARGV capacity, restore per second, delta (positive takes, negative refunds).
 * Returns { allowed (1/0), available * 1000 } (integers: Redis truncates Lua numbers).
 */
const BUCKET_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local delta = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(stored[1])
local at = tonumber(stored[2])
if level == nil then level = capacity; at = now end
level = math.min(capacity, level + (now - at) / 1000 * rate)
local allowed = 1
if delta > 0 and delta > level then
  allowed = 0
else
  level = math.min(capacity, level - delta)
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - level) / rate * 1000) + 60000)
return { allowed, math.floor(level * 1000) }
`;

type BucketRedis = Redis & { bucket(key: string, capacity: number, rate: number, delta: number): Promise<[number, number]> };

/**
 * Buckets in Redis, shared by every router replica. If Redis cannot be reached, the router says so in its
 * log (once a minute at most) and falls back to a bucket in this process rather than failing every request.
 */
export class RedisBudgetStore implements BudgetStore {
  private readonly redis: BucketRedis;
  private readonly fallback: InMemoryBudgetStore;
  /** Settles when the first connection is up, or after the connect timeout: the first calls wait for it. */
  private readonly firstConnection: Promise<void>;
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly config: BudgetConfig,
    private readonly logger: Logger,
    private readonly prefix = 'supergraph:budget:',
  ) {
    this.fallback = new InMemoryBudgetStore(config);
    this.redis = new Redis(url, {
      // Fail fast while Redis is down: the fallback answers instead of requests queueing behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      commandTimeout: 500,
      lazyConnect: false,
    }) as BucketRedis;
    this.redis.defineCommand('bucket', { numberOfKeys: 1, lua: BUCKET_SCRIPT });
    this.redis.on('error', (error: Error) => this.warn(error));
    this.firstConnection = new Promise((resolve) => {
      this.redis.once('ready', () => resolve());
      setTimeout(resolve, 1_000).unref();
    });
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: error }, 'Redis is unreachable: client budgets fall back to this process until it is back');
  }

  async take(client: string, cost: number, limits: BudgetLimits = this.config): Promise<TakeResult> {
    await this.firstConnection;
    try {
      const [allowed, available] = await this.redis.bucket(this.prefix + client, limits.capacity, limits.restorePerSecond, cost);
      const level = available / 1000;
      return allowed === 1
        ? { allowed: true, available: level, retryAfterSeconds: 0 }
        : { allowed: false, available: level, retryAfterSeconds: retryAfter(limits, cost - level) };
    } catch (error) {
      this.warn(error);
      return this.fallback.take(client, cost, limits);
    }
  }

  async refund(client: string, points: number, limits: BudgetLimits = this.config): Promise<number> {
    await this.firstConnection;
    try {
      const [, available] = await this.redis.bucket(this.prefix + client, limits.capacity, limits.restorePerSecond, -points);
      return available / 1000;
    } catch (error) {
      this.warn(error);
      return this.fallback.refund(client, points, limits);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
