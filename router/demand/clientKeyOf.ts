import type { IncomingMessage } from 'node:http';
import type { Caller } from '../../shared';
import type { ApiKeys } from './ApiKeys';

/**
 * Whose budget a request spends: the signed-in user, else a listed API key (by its name: the store never holds
 * the key), else the client's IP address. An unlisted key is refused (see ApiKeys.find), even with a token. `X-Forwarded-For` is believed only when the connection comes from a
 * listed proxy; the client is then the right-most address that is not one of the proxies.
 */
export function clientKeyOf(
  req: IncomingMessage,
  caller: Caller,
  options: { apiKeyHeader: string; trustedProxies: { includes(address: string): boolean }; apiKeys: ApiKeys },
): string {
  const apiKey = options.apiKeys.find(req.headers[options.apiKeyHeader]);
  if (caller.userId) return `user:${caller.userId}`;
  if (apiKey) return `key:${apiKey.name}`;
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
