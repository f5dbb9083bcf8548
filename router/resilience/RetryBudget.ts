/**
 * Caps retries at a share of traffic, so that retries cannot multiply the load on a subgraph that is
 * already failing (a retry storm). Every first attempt deposits `ratio` of a token, up to `maxTokens`;
 * every retry spends a whole one. With ratio 0.1, retries stay under about 10 % of requests plus the
 * initial `reserve` that lets a quiet router retry its first few failures.
 */
export class RetryBudget {
  private tokens: number;
  /** Retries refused because the budget was spent (for metrics and tests). */
  refused = 0;

  constructor(
    private readonly ratio = 0.1,
    reserve = 10,
    private readonly maxTokens = 100,
  ) {
    this.tokens = Math.min(reserve, maxTokens);
  }

  /** Call once per original (not retried) request. */
  deposit(): void {
    this.tokens = Math.min(this.maxTokens, this.tokens + this.ratio);
  }

  /** Takes a token for one retry; false when the budget is spent. */
  tryWithdraw(): boolean {
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.refused += 1;
    return false;
  }

  get balance(): number {
    return this.tokens;
  }
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base × 2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
