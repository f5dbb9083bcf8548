import Redis from 'ioredis';
import type { Logger } from '../logger';
import type { GtidPosition } from './gtid';

/**
 * Where a caller's last write stands on the primary, for a short window after it: `remember` after a request
 * that wrote on the caller's behalf, `recall` before a read for that caller. Kept per (database, caller), so
 * every pod of a subgraph sees the writes any of its pods made. Of two positions remembered for one caller,
 * the later one (higher rank) stays; each `remember` restarts the window.
 */
export interface WritePositions {
  remember(database: string, callerKey: string, position: GtidPosition): Promise<void>;
  /** The caller's position, null when none is in its window; rejects when the store cannot tell. */
  recall(database: string, callerKey: string): Promise<GtidPosition | null>;
  close(): Promise<void>;
}

/** In this process only: enough with one pod per subgraph (a caller's requests may reach any pod otherwise). */
export class MemoryWritePositions implements WritePositions {
  private readonly entries = new Map<string, { position: GtidPosition; expiresAt: number }>();
  private lastSweep = 0;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async remember(database: string, callerKey: string, position: GtidPosition): Promise<void> {
    const now = this.now();
    this.sweep(now);
    const key = `${database}\u0000${callerKey}`;
    const current = this.entries.get(key);
    const kept = current && current.expiresAt > now && current.position.rank > position.rank ? current.position : position;
    this.entries.set(key, { position: kept, expiresAt: now + this.windowMs });
  }

  async recall(database: string, callerKey: string): Promise<GtidPosition | null> {
    const entry = this.entries.get(`${database}\u0000${callerKey}`);
    return entry && entry.expiresAt > this.now() ? entry.position : null;
  }

  /** Drops expired entries at most once a window, so memory follows the callers who wrote recently. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

/** Keeps the higher-ranked position and restarts the window, atomically (two pods may write for one caller at once). */
const REMEMBER_SCRIPT = `
local rank = tonumber(redis.call('HGET', KEYS[1], 'rank'))
if rank == nil or rank <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'rank', ARGV[1], 'position', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

type PositionsRedis = Redis & {
  rememberPosition(key: string, rank: number, position: string, windowMs: number): Promise<number>;
};

/**
 * In Redis (`REDIS_URL`), shared by every pod, under `supergraph:ryw:<database>:<caller>` with the window as
 * its time to live. Each position is also kept in this process, so a write this pod made is honoured here even
 * while Redis is unreachable; a `recall` that Redis cannot answer rejects, and the caller's read goes to the
 * primary (never to a replica that might not have the write).
 */
export class RedisWritePositions implements WritePositions {
  private readonly redis: PositionsRedis;
  private readonly local: MemoryWritePositions;
  private readonly ready: Promise<void>;
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly windowMs: number,
    private readonly logger: Logger,
    private readonly prefix = 'supergraph:ryw:',
  ) {
    this.local = new MemoryWritePositions(windowMs);
    this.redis = new Redis(url, {
      // Fail fast while Redis is down: the read goes to the primary instead of queueing behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      commandTimeout: 500,
    }) as PositionsRedis;
    this.redis.defineCommand('rememberPosition', { numberOfKeys: 1, lua: REMEMBER_SCRIPT });
    this.redis.on('error', (error: Error) => this.warn(error));
    this.ready = new Promise((resolve) => {
      this.redis.once('ready', () => resolve());
      setTimeout(resolve, 1_000).unref();
    });
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: error }, 'Redis is unreachable: callers who wrote recently read from the primary until it is back');
  }

  async remember(database: string, callerKey: string, position: GtidPosition): Promise<void> {
    await this.local.remember(database, callerKey, position);
    await this.ready;
    try {
      await this.redis.rememberPosition(`${this.prefix}${database}:${callerKey}`, position.rank, position.text, this.windowMs);
    } catch (error) {
      this.warn(error);
    }
  }

  async recall(database: string, callerKey: string): Promise<GtidPosition | null> {
    await this.ready;
    const local = await this.local.recall(database, callerKey);
    const [rank, text] = await this.redis.hmget(`${this.prefix}${database}:${callerKey}`, 'rank', 'position');
    if (rank === null || text === null) return local;
    const shared = { text, rank: Number(rank) };
    return local && local.rank > shared.rank ? local : shared;
  }

  async close(): Promise<void> {
    await this.local.close();
    this.redis.disconnect();
  }
}
