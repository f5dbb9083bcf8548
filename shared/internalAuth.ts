import type { IncomingMessage } from 'node:http';
import { secretsMatch } from './identity';

/** Whether a request carries `Authorization: Bearer <expected>`, compared in constant time. */
export function hasBearerToken(req: Pick<IncomingMessage, 'headers'>, expected: string): boolean {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return match !== null && secretsMatch(match[1], expected);
}
