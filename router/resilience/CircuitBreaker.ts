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
  /** Outcomes in the window: [time, failed]. */
  private outcomes: [number, boolean][] = [];
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
      this.outcomes = [];
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
    const failures = this.outcomes.filter(([, failed]) => failed).length;
    if (failures >= this.options.failureThreshold && failures / this.outcomes.length >= this.options.failureRatio) this.open();
  }

  private record(failed: boolean): void {
    const now = this.now();
    this.outcomes.push([now, failed]);
    const since = now - this.options.windowMs;
    let drop = 0;
    while (drop < this.outcomes.length && this.outcomes[drop][0] <= since) drop += 1;
    if (drop > 0) this.outcomes.splice(0, drop);
    // Bounded memory under heavy traffic: the ratio over the last 1000 calls is the ratio.
    if (this.outcomes.length > 1000) this.outcomes.splice(0, this.outcomes.length - 1000);
  }

  private open(): void {
    this.openedAt = this.now();
    this.outcomes = [];
    this.opened += 1;
    this.transition('open');
  }

  private transition(state: CircuitState): void {
    if (this.state === state) return;
    this.state = state;
    this.onStateChange(state, this.name);
  }
}
