import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Caller } from '../../shared';

/**
 * Whose budget a request spends: the signed-in user, else an API key (hashed: the store never holds the
 * key), else the client's IP address. `X-Forwarded-For` is believed only when the connection comes from a
 * listed proxy; the client is then the right-most address that is not one of the proxies.
 */
export function clientKeyOf(
  req: IncomingMessage,
  caller: Caller,
  options: { apiKeyHeader: string; trustedProxies: { includes(address: string): boolean } },
): string {
  if (caller.userId) return `user:${caller.userId}`;
  const apiKey = req.headers[options.apiKeyHeader];
  if (typeof apiKey === 'string' && apiKey.length > 0) return `key:${createHash('sha256').update(apiKey).digest('hex').slice(0, 32)}`;
  const peer = normalize(req.socket.remoteAddress ?? 'unknown');
  const forwarded = req.headers['x-forwarded-for'];
  if (!options.trustedProxies.includes(peer) || typeof forwarded !== 'string') return `ip:${peer}`;
  const hops = forwarded
    .split(',')
    .map((hop) => normalize(hop.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!options.trustedProxies.includes(hops[i])) return `ip:${hops[i]}`;
  }
  return `ip:${hops[0] ?? peer}`;
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
