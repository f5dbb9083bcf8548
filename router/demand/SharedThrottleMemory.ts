import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Logger } from '../../shared';
import type { ThrottleMemory } from './ThrottleMemory';

/** Longest wait a message may ask for: a malformed or hostile one cannot block a client for longer. */
const MAX_SECONDS = 24 * 3600;

/**
 * Shares a router's throttle memory with every router on the same Redis (`REDIS_URL`): each refusal remembered
 * here is published on one channel, and each one published by another router is learned here, so a client
 * whose operation was refused through router A is refused before parsing through router B too, until its
 * Retry-After has passed. Lookups stay in this process (no round trip per request); only refusals travel.
 *
 * Redis is an accelerator here, never a dependency: a publish that fails is logged (once a minute at most) and
 * the refusal stays remembered in this process; a router that was cut off learns again from the next refusals
 * once the subscription is back (ioredis resubscribes on reconnect). The budgets themselves, shared in Redis
 * (`RedisBudgetStore`), still refuse whatever this memory misses.
 */
export class SharedThrottleMemory {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  /** Tells this router's own messages apart from the others'. */
  private readonly instance = randomUUID();
  /** Settles once the subscription is up, or after a second: a router never waits longer at start. */
  readonly subscribed: Promise<void>;
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly memory: ThrottleMemory,
    private readonly logger: Logger,
    private readonly counters: { learnedRefusals: number } = { learnedRefusals: 0 },
    private readonly channel = 'supergraph:throttle',
  ) {
    // Fail fast while Redis is down: a refusal is never held up by a publish queued behind a reconnect.
    this.publisher = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, commandTimeout: 500 });
    this.subscriber = new Redis(url, { connectTimeout: 1_000, maxRetriesPerRequest: null });
    for (const connection of [this.publisher, this.subscriber]) connection.on('error', (error: Error) => this.warn(error));
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    this.subscribed = Promise.race([
      this.subscriber.subscribe(this.channel).then(
        () => undefined,
        (error: unknown) => this.warn(error),
      ),
      new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref()),
    ]);
    memory.onRemember = (client, operationKey, retryAfterSeconds) => this.publish(client, operationKey, retryAfterSeconds);
  }

  private publish(client: string, operationKey: string, retryAfterSeconds: number): void {
    const message = JSON.stringify([this.instance, client, operationKey, retryAfterSeconds]);
    this.publisher.publish(this.channel, message).catch((error: unknown) => this.warn(error));
  }

  private receive(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(parsed) || parsed.length !== 4) return;
    const [instance, client, operationKey, seconds] = parsed as unknown[];
    if (instance === this.instance || typeof client !== 'string' || typeof operationKey !== 'string') return;
    if (typeof seconds !== 'number' || !(seconds > 0) || seconds > MAX_SECONDS) return;
    this.memory.learn(client, operationKey, seconds);
    this.counters.learnedRefusals++;
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: error }, 'Redis is unreachable: refused operations are remembered by this router only until it is back');
  }

  async close(): Promise<void> {
    this.memory.onRemember = null;
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
