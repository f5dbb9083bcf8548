/**
 * Watches the event loop's delay and says when the router is too busy to take new work: while the worst
 * delay seen in the last `windowMs` is above `maxLagMs`, new requests are better refused at once (503 with
 * `Retry-After`) than queued behind work that already makes everyone late. The delay is measured as the
 * drift of a repeating timer: how much later than due it fires.
 */
export class LoadShedder {
  private timer: NodeJS.Timeout | null = null;
  /** Delay of each sampling tick in the window, in ms. */
  private readonly recent: number[] = [];

  constructor(
    private readonly maxLagMs: number,
    private readonly sampleIntervalMs = 50,
    private readonly windowMs = 1_000,
  ) {}

  /** Starts measuring (at listen: start-up work before it is not load). */
  start(): void {
    if (this.timer) return;
    const { sampleIntervalMs, windowMs } = this;
    const keep = Math.max(1, Math.round(windowMs / sampleIntervalMs));
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.recent.push(Math.max(0, now - last - sampleIntervalMs));
      last = now;
      if (this.recent.length > keep) this.recent.shift();
    }, sampleIntervalMs);
    this.timer.unref();
  }

  /** The worst event-loop delay in the window, in ms. */
  get lagMs(): number {
    return Math.max(0, ...this.recent);
  }

  /** Whether to refuse a new request now. */
  shouldShed(): boolean {
    return this.maxLagMs > 0 && this.lagMs > this.maxLagMs;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
