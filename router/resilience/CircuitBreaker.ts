export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Failures within `windowMs` that can open the circuit (with `failureRatio`). Default 5. */
  failureThreshold: number;
  /** Share of the window's calls that must have failed to open it. Default 0.5. */
  failureRatio: number;
  /** The rolling window over which calls are counted, in ms. Default 10 s. */
  windowMs: number;
  /** How long an open circuit fails calls fast before letting one probe through, in ms. Default 5 s. */
  cooldownMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: CircuitBreakerOptions = {
  failureThreshold: 5,
  failureRatio: 0.5,
  windowMs: 10_000,
  cooldownMs: 5_000,
};

/** Bounded memory under heavy traffic: the ratio over the last 1,000 calls in the window is the ratio. */
const OUTCOMES_KEPT = 1000;
/** One more slot than is kept: a call is recorded before the window and the bound drop the oldest. */
const RING = OUTCOMES_KEPT + 1;

/**
 * A circuit breaker for one subgraph. Closed: calls go through and outcomes are counted over a rolling
 * window; once `failureThreshold` calls in the window failed and they are at least `failureRatio` of its
 * calls, it opens. Open: calls fail fast (no socket, no wait) for `cooldownMs`. Then half-open: one probe
 * goes through while the others still fail fast; the probe's success closes the circuit, its failure opens
 * it for another cool-down.
 *
 * Callers ask `tryAcquire()` before a call and report with `onSuccess()`/`onFailure()` after it (exactly
 * once per acquired call). Only failures of the subgraph itself count (unreachable, 5xx, timeouts): a
 * GraphQL error in a 200 answer is a healthy subgraph.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private openedAt = 0;
  private probing = false;
  /**
   * Outcomes in the window, oldest first, in a ring of the last OUTCOMES_KEPT calls: times[(head + i) % RING]
   * and failed[…]. A ring rather than an array of [time, failed] pairs: under load the window holds its 1,000
   * calls and the array was spliced at its front on every call (three per "my orders" request), with a pair
   * allocated each time.
   */
  private readonly times = new Float64Array(RING);
  private readonly failed = new Uint8Array(RING);
  private head = 0;
  private count = 0;
  private failures = 0;
  /** How many times the circuit opened (for metrics). */
  opened = 0;

  constructor(
    readonly name: string,
    private readonly options: CircuitBreakerOptions = DEFAULT_BREAKER_OPTIONS,
    private readonly now: () => number = Date.now,
    private readonly onStateChange: (state: CircuitState, name: string) => void = () => {},
  ) {}

  get current(): CircuitState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) return 'half-open';
    return this.state;
  }

  /** Whether a call may go out now. A `true` in half-open makes this call the probe. */
  tryAcquire(): boolean {
    const state = this.current;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.probing) return false;
    this.probing = true;
    this.transition('half-open');
    return true;
  }

  onSuccess(): void {
    if (this.state === 'half-open') {
      this.probing = false;
      this.clearOutcomes();
      this.transition('closed');
      return;
    }
    this.record(false);
  }

  /** Ends an acquired call without a verdict (it failed for reasons of the caller's, e.g. its own deadline). */
  release(): void {
    if (this.state === 'half-open') this.probing = false;
  }

  onFailure(): void {
    if (this.state === 'half-open') {
      this.probing = false;
      this.open();
      return;
    }
    if (this.state === 'open') return;
    this.record(true);
    const failures = this.failures;
    if (failures >= this.options.failureThreshold && failures / this.count >= this.options.failureRatio) this.open();
  }

  private record(failed: boolean): void {
    const now = this.now();
    const slot = (this.head + this.count) % RING;
    this.times[slot] = now;
    this.failed[slot] = failed ? 1 : 0;
    this.count += 1;
    if (failed) this.failures += 1;
    const since = now - this.options.windowMs;
    while (this.count > 0 && this.times[this.head] <= since) this.dropOldest();
    if (this.count > OUTCOMES_KEPT) this.dropOldest();
  }

  private dropOldest(): void {
    this.failures -= this.failed[this.head];
    this.head = (this.head + 1) % RING;
    this.count -= 1;
  }

  private clearOutcomes(): void {
    this.head = 0;
    this.count = 0;
    this.failures = 0;
  }

  private open(): void {
    this.openedAt = this.now();
    this.clearOutcomes();
    this.opened += 1;
    this.transition('open');
  }

  private transition(state: CircuitState): void {
    if (this.state === state) return;
    this.state = state;
    this.onStateChange(state, this.name);
  }
}
