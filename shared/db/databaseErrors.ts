import { QueryFailedError } from 'typeorm';
import { DeadlineExceeded } from '../deadline';

/** MariaDB ER_STATEMENT_TIMEOUT, MySQL ER_QUERY_TIMEOUT: the server stopped a statement at its time limit. */
const TIMEOUT_ERRNOS = new Set([1969, 3024]);

/**
 * Whether an error means the database is overloaded rather than broken: a statement stopped by the
 * server-side timeout, or the pool's wait queue full. Clients get SERVICE_UNAVAILABLE (retry later),
 * not INTERNAL_SERVER_ERROR.
 */
export function isDatabaseOverload(error: unknown): boolean {
  if (error instanceof QueryFailedError) {
    const driverError = error.driverError as { errno?: number; message?: string };
    return TIMEOUT_ERRNOS.has(driverError.errno ?? 0) || /Queue limit reached/.test(driverError.message ?? '');
  }
  return error instanceof Error && /Queue limit reached/.test(error.message);
}

/** Driver error codes that mean the database cannot be reached (down, restarting, connection cut). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
]);

function driverErrorOf(error: unknown): { code?: string; errno?: number; message?: string; fatal?: boolean } | null {
  if (error instanceof QueryFailedError) return error.driverError as { code?: string };
  if (error && typeof error === 'object') return error as { code?: string };
  return null;
}

/**
 * Whether an error means the database is unreachable (it is down or restarting, or the connection was
 * cut). Clients get SERVICE_UNAVAILABLE quickly (the connect timeout bounds the wait), never a hang.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const driverError = driverErrorOf(error);
  if (!driverError) return false;
  if (driverError.code && UNREACHABLE_CODES.has(driverError.code)) return true;
  return /Can't add new command when connection is in closed state|connect ETIMEDOUT|Connection lost/i.test(driverError.message ?? '');
}

/** The deadline error a statement guard raised, whether or not the ORM wrapped it. */
export function deadlineErrorOf(error: unknown): Error | null {
  const candidate = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  return candidate instanceof DeadlineExceeded ? candidate : null;
}
