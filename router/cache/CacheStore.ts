/** One entry to write: its key, its serialized value and how long it lives. */
export interface CacheWrite {
  key: string;
  value: string;
  ttlMs: number;
}

/**
 * What one lookup read: each entry's value (null when absent), when each tag was last invalidated (ms on the store's
 * clock, 0 when it never was, or so long ago that no entry from before it can still live) and the store's clock now.
 */
export interface CacheRead {
  entries: (string | null)[];
  invalidatedAt: number[];
  now: number;
}

/**
 * Where the entity cache keeps entries and when each tag was last invalidated, on one clock: the store's (Redis's
 * `TIME` for the Redis store, so that routers' clocks never matter). An entry records the store's time read before
 * its data was fetched and is valid only while that time is later than the last invalidation of every tag it
 * carries, so a fetch that began before an invalidation can never put its older value back after it.
 *
 * A store never throws: a store that cannot answer returns null from `read` (the fetch goes to the subgraph and
 * fills nothing) and drops writes, counting the failure in `errors`.
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  /** Failed operations so far (Redis unreachable…). */
  readonly errors: number;
  read(keys: string[], tags: string[]): Promise<CacheRead | null>;
  write(entries: CacheWrite[]): Promise<void>;
  /**
   * Marks each tag invalidated now, remembered at least `keepMs` (longer than any entry and any fetch lives).
   * Resolves false when the store could not record it (Redis unreachable): the caller keeps the tags and retries.
   */
  invalidate(tags: string[], keepMs: number): Promise<boolean>;
  /** Calls `listener` each time the store (re)connects, for invalidations kept while it could not be reached. */
  onReconnect?(listener: () => void): void;
  /**
   * The in-process store only: drops every entry, and counts every entry fetched before now as invalidated (for
   * `keepMs`), instead of remembering too many tags. Counted in `clears`.
   */
  clear?(keepMs: number): Promise<void>;
  /** Times `clear` ran, or the store cleared itself to stay under its bound on remembered invalidations. */
  readonly clears?: number;
  /** Writes skipped because the store's total budget was spent (the Redis store). */
  readonly budgetSkips?: number;
  /** Bytes held (the in-process store; null when the store cannot say cheaply). */
  bytes(): number | null;
  close(): Promise<void>;
}

/**
 * The in-process store: a least-recently-used map bounded in bytes (key and value, UTF-8) and by each entry's
 * TTL. Invalidation times are kept apart from entries, never evicted by the byte bound (a forgotten one could make
 * an older entry valid again), each until `keepMs` after it, in the order they were made so that expired ones are
 * dropped from the front at each invalidation (no scan of the others). At most `maxInvalidations` are remembered:
 * past that the store clears itself (every entry, and a floor: everything fetched before it counts as invalidated),
 * counted in `clears`. The clock never goes back (a step back of the system clock holds it where it was).
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  readonly errors = 0;
  clears = 0;
  /** Every entry fetched at or before `floor.at` is invalid (a clear), until `floor.keepUntil`. */
  private floor = { at: 0, keepUntil: 0 };
  private readonly entries = new Map<string, { value: string; bytes: number; expiresAt: number }>();
  private readonly invalidations = new Map<string, { at: number; keepUntil: number }>();
  private heldBytes = 0;
  private lastNow = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntryBytes: number,
    private readonly clock: () => number = Date.now,
    private readonly maxInvalidations = 100_000,
  ) {}

  private now(): number {
    this.lastNow = Math.max(this.lastNow, this.clock());
    return this.lastNow;
  }

  async read(keys: string[], tags: string[]): Promise<CacheRead> {
    const now = this.now();
    const entries = keys.map((key) => {
      const entry = this.entries.get(key);
      if (!entry) return null;
      this.entries.delete(key);
      if (entry.expiresAt <= now) {
        this.heldBytes -= entry.bytes;
        return null;
      }
      // Most recently used last: eviction takes from the front.
      this.entries.set(key, entry);
      return entry.value;
    });
    const floor = this.floor.keepUntil > now ? this.floor.at : 0;
    const invalidatedAt = tags.map((tag) => {
      const held = this.invalidations.get(tag);
      return Math.max(floor, held && held.keepUntil > now ? held.at : 0);
    });
    return { entries, invalidatedAt, now };
  }

  async write(writes: CacheWrite[]): Promise<void> {
    const now = this.now();
    for (const { key, value, ttlMs } of writes) {
      const bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
      if (bytes > this.maxEntryBytes || bytes > this.maxBytes) continue;
      const previous = this.entries.get(key);
      if (previous) {
        this.entries.delete(key);
        this.heldBytes -= previous.bytes;
      }
      this.entries.set(key, { value, bytes, expiresAt: now + ttlMs });
      this.heldBytes += bytes;
    }
    for (const [key, entry] of this.entries) {
      if (this.heldBytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.heldBytes -= entry.bytes;
    }
  }

  async invalidate(tags: string[], keepMs: number): Promise<boolean> {
    const now = this.now();
    // Oldest first: a tag invalidated again moves to the back.
    for (const tag of tags) {
      this.invalidations.delete(tag);
      this.invalidations.set(tag, { at: now, keepUntil: now + keepMs });
    }
    for (const [tag, held] of this.invalidations) {
      if (held.keepUntil > now) break;
      this.invalidations.delete(tag);
    }
    if (this.invalidations.size > this.maxInvalidations) await this.clear(keepMs);
    return true;
  }

  async clear(keepMs: number): Promise<void> {
    const now = this.now();
    this.entries.clear();
    this.heldBytes = 0;
    this.invalidations.clear();
    this.floor = { at: now, keepUntil: Math.max(this.floor.keepUntil, now + keepMs) };
    this.clears += 1;
  }

  bytes(): number {
    return this.heldBytes;
  }

  /** Invalidation times remembered now (expired ones are dropped at the next invalidation). */
  invalidationCount(): number {
    return this.invalidations.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.heldBytes = 0;
  }
}
