import { createHash } from 'node:crypto';

/**
 * Remembers, for a short while, that a client was refused an operation for want of points: the same client
 * sending the same operation (same document, name and variables, so the same cost) again before its
 * Retry-After has passed is refused at once, before parsing or planning. A flood of retries then costs the
 * router little more than reading the requests. Anything else still goes the whole way, so a client with
 * points for a cheaper operation is never blocked by this.
 */
export class ThrottleMemory {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether nothing is remembered (then no operation key needs computing). */
  get empty(): boolean {
    return this.until.size === 0;
  }

  static operationKey(query: string, operationName: unknown, variables: unknown): string {
    return createHash('sha256')
      .update(query)
      .update('\u0000')
      .update(typeof operationName === 'string' ? operationName : '')
      .update('\u0000')
      .update(
        variables === undefined || variables === null
          ? ''
          : JSON.stringify(typeof variables === 'string' ? parsedOrText(variables) : variables),
      )
      .digest('base64url');
  }

  /**
   * Called with each refusal remembered here (not with those learned from other routers): how a
   * `SharedThrottleMemory` tells the other routers.
   */
  onRemember: ((client: string, operationKey: string, retryAfterSeconds: number) => void) | null = null;

  remember(client: string, operationKey: string, retryAfterSeconds: number): void {
    this.learn(client, operationKey, retryAfterSeconds);
    this.onRemember?.(client, operationKey, retryAfterSeconds);
  }

  /** Remembers a refusal another router made, without telling anyone. */
  learn(client: string, operationKey: string, retryAfterSeconds: number): void {
    const key = `${client}\u0000${operationKey}`;
    this.until.delete(key);
    if (this.until.size >= this.maxEntries) this.until.delete(this.until.keys().next().value as string);
    this.until.set(key, this.now() + retryAfterSeconds * 1000);
  }

  /** Seconds the client must still wait before this operation can be afforded; 0 when it may try. */
  secondsLeft(client: string, operationKey: string): number {
    const key = `${client}\u0000${operationKey}`;
    const until = this.until.get(key);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) {
      this.until.delete(key);
      return 0;
    }
    return Math.ceil(left / 1000);
  }
}

/**
 * A GET's variables as the request carried them (`variables=` text): parsed, so that `{"a": 1}` and `{"a":1}`
 * make the same key as the parsed object the request pipeline sees. Text that is not JSON stays as it is.
 */
function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
