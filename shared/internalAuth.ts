import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Whether a request carries `Authorization: Bearer <expected>`. Compared in constant time (over
 * digests, so the length of the secret does not leak either).
 */
export function hasBearerToken(req: Pick<IncomingMessage, 'headers'>, expected: string): boolean {
  const header = req.headers.authorization;
  const match = header ? /^Bearer (.+)$/.exec(header) : null;
  if (!match || expected.length === 0) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]), digest(expected));
}
