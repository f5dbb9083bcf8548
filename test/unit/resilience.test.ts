import { backoffDelay, CircuitBreaker, RetryBudget } from '../../router';
import { checkDeadline, DeadlineExceeded, guardStatement, timeLeftOf, withRequestDeadline } from '../../shared';

describe('CircuitBreaker', () => {
  const options = { failureThreshold: 3, failureRatio: 0.5, windowMs: 1_000, cooldownMs: 500 };
  function breaker() {
    let now = 0;
    const states: string[] = [];
    const circuit = new CircuitBreaker(
      'order',
      options,
      () => now,
      (state) => states.push(state),
    );
    return { circuit, states, advance: (ms: number) => (now += ms) };
  }

  it('opens after enough failures that are at least the ratio of the window, and fails fast while open', () => {
    const { circuit, states } = breaker();
    for (let i = 0; i < 4; i++) circuit.onSuccess();
    circuit.onFailure();
    circuit.onFailure();
    circuit.onFailure();
    // 3 failures of 7 calls: below half, still closed.
    expect(circuit.current).toBe('closed');
    circuit.onFailure();
    expect(circuit.current).toBe('open');
    expect(circuit.tryAcquire()).toBe(false);
    expect(states).toEqual(['open']);
  });

  it('forgets failures older than the window', () => {
    const { circuit, advance } = breaker();
    circuit.onFailure();
    circuit.onFailure();
    advance(1_001);
    circuit.onFailure();
    expect(circuit.current).toBe('closed');
  });

  it('lets one probe through after the cool-down: success closes, failure re-opens', () => {
    const { circuit, advance, states } = breaker();
    for (let i = 0; i < 3; i++) circuit.onFailure();
    advance(499);
    expect(circuit.tryAcquire()).toBe(false);
    advance(1);
    expect(circuit.current).toBe('half-open');
    expect(circuit.tryAcquire()).toBe(true);
    // Only one probe at a time.
    expect(circuit.tryAcquire()).toBe(false);
    circuit.onFailure();
    expect(circuit.current).toBe('open');
    advance(500);
    expect(circuit.tryAcquire()).toBe(true);
    circuit.onSuccess();
    expect(circuit.current).toBe('closed');
    expect(circuit.tryAcquire()).toBe(true);
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    expect(circuit.opened).toBe(2);
  });
});

describe('CircuitBreaker probes ended without a verdict', () => {
  it('frees the half-open probe when a call fails for its caller’s own reasons (its deadline), without opening or closing', () => {
    let now = 0;
    const circuit = new CircuitBreaker('order', { failureThreshold: 1, failureRatio: 0.5, windowMs: 1_000, cooldownMs: 100 }, () => now);
    circuit.onFailure();
    now = 100;
    expect(circuit.tryAcquire()).toBe(true);
    expect(circuit.tryAcquire()).toBe(false);
    circuit.release();
    expect(circuit.current).toBe('half-open');
    expect(circuit.tryAcquire()).toBe(true);
  });
});

describe('RetryBudget', () => {
  it('allows its reserve, then a share of new requests', () => {
    const budget = new RetryBudget(0.25, 2);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    for (let i = 0; i < 4; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    expect(budget.refused).toBe(2);
  });

  it('caps the balance, so a quiet period cannot bank a retry storm', () => {
    const budget = new RetryBudget(1, 0, 3);
    for (let i = 0; i < 100; i++) budget.deposit();
    expect(budget.balance).toBe(3);
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffDelay(0, 25, 1_000, () => 0.999)).toBe(24);
    expect(backoffDelay(3, 25, 1_000, () => 0.5)).toBe(100);
    expect(backoffDelay(10, 25, 1_000, () => 0.5)).toBe(500);
    expect(backoffDelay(2, 25, 1_000, () => 0)).toBe(0);
  });
});

describe('request deadlines in a subgraph', () => {
  const fakeExchange = (headers: Record<string, string>) => {
    const listeners: (() => void)[] = [];
    const res = { writableFinished: false, once: (_event: string, listener: () => void) => listeners.push(listener) };
    return {
      req: { headers } as never,
      res: res as never,
      hangUp: () => {
        for (const listener of listeners) listener();
      },
    };
  };

  it('reads the time left only when it is a positive whole number', () => {
    expect(timeLeftOf({ headers: { 'x-request-time-left-ms': '250' } })).toBe(250);
    for (const bad of ['0', '-5', '1.5', 'soon', '9999999999'])
      expect(timeLeftOf({ headers: { 'x-request-time-left-ms': bad } })).toBeNull();
  });

  it('refuses reads and new transactions once the deadline passed, never COMMIT, ROLLBACK or writes in a transaction', async () => {
    const { req, res } = fakeExchange({ 'x-request-time-left-ms': '200' });
    await withRequestDeadline(req, res, 30_000, async () => {
      expect(() => guardStatement('SELECT 1')).not.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(() => guardStatement('SELECT `user`.`id` FROM `user`')).toThrow(DeadlineExceeded);
      expect(() => guardStatement('  with ranked as (select 1) select * from ranked')).toThrow(DeadlineExceeded);
      expect(() => guardStatement('START TRANSACTION')).toThrow(DeadlineExceeded);
      expect(() => guardStatement('BEGIN IMMEDIATE')).toThrow(DeadlineExceeded);
      for (const sql of ['COMMIT', 'ROLLBACK', 'INSERT INTO `order` VALUES (1)', 'UPDATE product SET stock = stock - 1']) {
        expect(() => guardStatement(sql)).not.toThrow();
      }
    });
  });

  it('ends the budget when the caller hangs up, and caps a generous header at the subgraph maximum', async () => {
    const exchange = fakeExchange({ 'x-request-time-left-ms': '600000' });
    await withRequestDeadline(exchange.req, exchange.res, 50, async () => {
      expect(() => checkDeadline()).not.toThrow();
      expect(() => checkDeadline(performance.now() + 60)).toThrow(DeadlineExceeded);
      exchange.hangUp();
      expect(() => checkDeadline()).toThrow('The caller stopped waiting for this request.');
    });
    // Outside a request nothing is refused (migrations, sweepers).
    expect(() => guardStatement('SELECT 1')).not.toThrow();
  });
});
