import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from './errorRegistry';
import { AppError } from './errors';

/**
 * The time the router still waits for a subgraph's answer, in ms, sent with every subgraph request. The
 * subgraph stops starting new work once it has passed (or once the router hangs up): nobody would read it.
 * Relative, not a timestamp, so clock skew between hosts does not matter.
 */
export const TIME_LEFT_HEADER = 'x-request-time-left-ms';

/** Work on a request nobody waits for any more: its deadline passed or its caller hung up. */
export class DeadlineExceeded extends AppError {
  constructor(reason: 'deadline' | 'aborted') {
    super(
      ErrorCode.DEADLINE_EXCEEDED,
      reason === 'deadline' ? 'The request ran out of time before this part started.' : 'The caller stopped waiting for this request.',
    );
  }
}

interface RequestBudget {
  /** `performance.now()` after which no new work starts. */
  deadline: number;
  aborted: boolean;
}

const current = new AsyncLocalStorage<RequestBudget>();

/**
 * Runs `work` (a request's handling) with the deadline the caller sent, capped at `maxMs`; a request without
 * the header gets `maxMs`. The budget also ends when the caller closes the connection before the answer.
 */
export function withRequestDeadline<T>(req: IncomingMessage, res: ServerResponse, maxMs: number, work: () => Promise<T>): Promise<T> {
  const budget: RequestBudget = { deadline: performance.now() + Math.min(maxMs, timeLeftOf(req) ?? maxMs), aborted: false };
  res.once('close', () => {
    if (!res.writableFinished) budget.aborted = true;
  });
  return current.run(budget, work);
}

/** The header's value when it is a positive whole number of ms; otherwise null (ignored). */
export function timeLeftOf(req: Pick<IncomingMessage, 'headers'>): number | null {
  const raw = req.headers[TIME_LEFT_HEADER];
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) return null;
  const value = Number(raw);
  return value > 0 ? value : null;
}

/** Throws DeadlineExceeded when the current request (if any) is out of time or abandoned. */
export function checkDeadline(now: number = performance.now()): void {
  const budget = current.getStore();
  if (!budget) return;
  if (budget.aborted) throw new DeadlineExceeded('aborted');
  if (now > budget.deadline) throw new DeadlineExceeded('deadline');
}

/**
 * Statements that start new work: reads, and the start of a transaction. Writes inside a transaction that
 * already began, and its COMMIT or ROLLBACK, always go through, so a deadline never leaves half a write.
 */
const STARTS_WORK = /^\s*(\(?\s*select\b|with\b|start\s+transaction\b|begin\b)/i;

/** A statement guard for the database driver: refuses new work for a request that is out of time. */
export function guardStatement(sql: string): void {
  if (STARTS_WORK.test(sql)) checkDeadline();
}
