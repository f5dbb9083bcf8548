import { CircuitBreaker } from '../../router';
import type { CircuitBreakerOptions, CircuitState } from '../../router/resilience/CircuitBreaker';

/**
 * The breaker before its outcomes moved into a ring (issue 18): an array of [time, failed] pairs, spliced at its
 * front. Kept here as the reference the ring must agree with, call for call, on long random sequences that fill
 * the window past its 1,000 calls.
 */
class ArrayBreaker {
  private state: CircuitState = 'closed';
  private openedAt = 0;
  private probing = false;
  private outcomes: [number, boolean][] = [];
  opened = 0;
  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly now: () => number,
    private readonly onStateChange: (state: CircuitState) => void,
  ) {}
  get current(): CircuitState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) return 'half-open';
    return this.state;
  }
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
    this.onStateChange(state);
  }
}

/** mulberry32: a seeded generator, so a failing sequence can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('CircuitBreaker outcomes ring (issue 18)', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('decides as the array it replaced, call for call (seed %i)', (seed) => {
    const next = random(seed);
    const options: CircuitBreakerOptions = {
      failureThreshold: 1 + Math.floor(next() * 400),
      failureRatio: 0.2 + next() * 0.6,
      windowMs: 500 + Math.floor(next() * 3_000),
      cooldownMs: 50 + Math.floor(next() * 200),
    };
    let now = 0;
    const ringChanges: CircuitState[] = [];
    const arrayChanges: CircuitState[] = [];
    const ring = new CircuitBreaker(
      'order',
      options,
      () => now,
      (state) => ringChanges.push(state),
    );
    const reference = new ArrayBreaker(
      options,
      () => now,
      (state) => arrayChanges.push(state),
    );
    // Failure rates drift between phases, so the circuit opens, probes and closes again, with >1,000 calls a window.
    let failureRate = next();
    for (let step = 0; step < 30_000; step++) {
      if (step % 2_000 === 0) failureRate = next();
      now += next() < 0.7 ? 0 : Math.floor(next() * 5);
      const acquired = ring.tryAcquire();
      // Plain comparisons in the loop (an expect per call would make this test slow); the first divergence fails it.
      if (reference.tryAcquire() !== acquired) throw new Error(`tryAcquire diverged at call ${step}`);
      if (acquired) {
        const outcome = next();
        if (outcome < 0.02) {
          ring.release();
          reference.release();
        } else if (outcome < 0.02 + failureRate * 0.98) {
          ring.onFailure();
          reference.onFailure();
        } else {
          ring.onSuccess();
          reference.onSuccess();
        }
      }
      if (ring.current !== reference.current) throw new Error(`state diverged at call ${step}: ${ring.current} vs ${reference.current}`);
    }
    expect(ringChanges).toEqual(arrayChanges);
    expect(ring.opened).toBe(reference.opened);
    // The sequence must have exercised the breaker, or agreeing would prove nothing.
    expect(reference.opened).toBeGreaterThan(0);
  });
});
