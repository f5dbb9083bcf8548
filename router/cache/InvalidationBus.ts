import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { ENTITY_CACHE_REDIS_OPTIONS, ENTITY_CHANGES_CHANNEL, type Logger, markInPlace, splitInPlace } from '../../shared';

/**
 * Invalidations between routers, and from writers that bypass the router (a batch job, the internal stock API), over
 * Redis pub/sub on `ENTITY_CHANGES_CHANNEL`: a message is JSON `{ "tags": [...] }`. Each router publishes what it
 * invalidated (with its own id, so it skips its own messages) and applies what others publish. Delivery is
 * asynchronous: a router with an in-process store drops another router's invalidation a moment after it was made
 * (the Redis store needs no message: generations live in Redis). Redis down: `publish` answers false and the
 * entity cache publishes again when the connection is back; messages published by others meanwhile are lost, and
 * their entries live at most their TTL.
 */
export class InvalidationBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly id = randomUUID();
  private lastWarning = 0;
  private subscribed: Promise<void>;

  constructor(
    url: string,
    private readonly logger: Logger,
    onRemote: (tags: string[]) => void,
  ) {
    this.publisher = new Redis(url, ENTITY_CACHE_REDIS_OPTIONS);
    // No retry limit and an offline queue (as router/demand/SharedThrottleMemory.ts): a subscribe issued while Redis
    // is down waits for it instead of failing for good, and every reconnection subscribes again.
    this.subscriber = new Redis(url, { connectTimeout: 1_000, maxRetriesPerRequest: null });
    this.publisher.on('error', (error: Error) => this.warn(error));
    this.subscriber.on('error', (error: Error) => this.warn(error));
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        const parsed = JSON.parse(message) as { tags?: unknown; inPlace?: unknown; from?: unknown };
        if (parsed.from === this.id || !Array.isArray(parsed.tags)) return;
        const isString = (tag: unknown): tag is string => typeof tag === 'string';
        const inPlace = Array.isArray(parsed.inPlace) ? parsed.inPlace.filter(isString) : [];
        const tags = markInPlace(parsed.tags.filter(isString), inPlace);
        if (tags.length > 0) onRemote(tags);
      } catch (error) {
        this.warn(error);
      }
    });
    this.subscribed = this.subscribe();
    // Subscribing again on each connection is harmless (SUBSCRIBE is idempotent) and covers a subscribe that failed.
    this.subscriber.on('ready', () => void this.subscribe());
  }

  private subscribe(): Promise<void> {
    return this.subscriber.subscribe(ENTITY_CHANGES_CHANNEL).then(
      () => undefined,
      (error) => this.warn(error),
    );
  }

  /**
   * Resolves once subscribed, or after `withinMs` (Redis down at start: the subscription is made when Redis comes
   * up; until then invalidations reach this router alone).
   */
  ready(withinMs = 1_000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, withinMs);
      timer.unref();
      void this.subscribed.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Publishes `tags` (the router's: in-place ones marked) as plain tags and the in-place list, which a router that
   * knows nothing of in-place changes reads as whole changes; false when Redis could not take the message (the
   * caller keeps the tags and retries).
   */
  async publish(tags: string[]): Promise<boolean> {
    try {
      const { tags: plain, inPlace } = splitInPlace(tags);
      await this.publisher.publish(
        ENTITY_CHANGES_CHANNEL,
        JSON.stringify(inPlace.length > 0 ? { tags: plain, inPlace, from: this.id } : { tags: plain, from: this.id }),
      );
      return true;
    } catch (error) {
      this.warn(error);
      return false;
    }
  }

  /** Calls `listener` each time the publishing connection (re)connects. */
  onReconnect(listener: () => void): void {
    this.publisher.on('ready', listener);
  }

  async close(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: error }, 'entity cache invalidations cannot reach Redis: other routers keep their entries until their TTL');
  }
}
