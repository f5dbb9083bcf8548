import { QueryFailedError } from 'typeorm';

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
