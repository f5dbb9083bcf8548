import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Caller } from './authorization';

/** The caller's verified user id, set by the router only (it deletes any copy a client sent). */
export const USER_ID_HEADER = 'x-user-id';
/** The caller's scopes, space-separated, set by the router only. */
export const USER_SCOPES_HEADER = 'x-user-scopes';
/** The router's credential for a subgraph: without it a subgraph answers 401. */
export const ROUTER_CREDENTIAL_HEADER = 'x-router-credential';

/** The development default of a subgraph's router credential; production refuses it. */
export const developmentSubgraphSecret = (name: string): string => `dev-only-subgraph-secret-${name.toLowerCase()}`;

/** Reads the caller from the identity headers the router set; anonymous when absent or malformed. */
export function callerFrom(req: Pick<IncomingMessage, 'headers'>): Caller {
  const id = req.headers[USER_ID_HEADER];
  const scopes = req.headers[USER_SCOPES_HEADER];
  return {
    userId: typeof id === 'string' && /^\d{1,18}$/.test(id) ? id : null,
    scopes: new Set(typeof scopes === 'string' ? scopes.split(' ').filter(Boolean) : []),
  };
}

/** Compares two secrets in constant time (over digests, so their lengths do not leak either). */
export function secretsMatch(given: string | undefined, expected: string): boolean {
  if (given === undefined || expected.length === 0) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
