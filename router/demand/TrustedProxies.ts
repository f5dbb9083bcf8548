import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../../shared';

/**
 * The proxies whose `X-Forwarded-For` the router believes (`TRUSTED_PROXIES`): exact addresses and CIDR ranges,
 * IPv4 and IPv6 (`10.0.0.7`, `10.244.0.0/16`, `fd00::/8`), so that routers on Kubernetes can trust the ingress
 * pods' range rather than addresses that change with every pod. A range written with host bits set
 * (`10.0.0.5/8`) means its network (`10.0.0.0/8`), as nginx's `set_real_ip_from` reads it.
 */
/** How many addresses' answers `includes` remembers before it starts again. */
const SEEN_ADDRESSES = 1_024;

export class TrustedProxies {
  private readonly list = new BlockList();

  private constructor(
    /** The entries as configured, for logs and checks. */
    readonly entries: readonly string[],
  ) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
  }

  /** None: `X-Forwarded-For` is never believed. */
  static readonly none = new TrustedProxies([]);

  /**
   * Reads a comma-separated list. An entry that is neither an IP address nor `address/prefix` (prefix 0 to 32
   * for IPv4, 0 to 128 for IPv6) is refused with a line that names it, so a typo cannot silently trust
   * nobody (every client behind the balancer then shares one budget) or everybody.
   */
  static parse(text: string, variable = 'TRUSTED_PROXIES'): TrustedProxies {
    const entries = text
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    for (const entry of entries) {
      const problem = problemWith(entry);
      if (problem) {
        throw new ConfigError(
          `${variable} must be IP addresses or CIDR ranges separated by commas (10.0.0.7, 10.244.0.0/16, fd00::/8); '${entry}' ${problem}`,
        );
      }
    }
    return new TrustedProxies(entries);
  }

  /** The answers for the addresses seen last (a few proxies and clients), so that most requests check none. */
  private readonly seen = new Map<string, boolean>();

  /**
   * Whether `address` (as a socket or `X-Forwarded-For` gives it) is one of the proxies. With none configured, no
   * address is (no check at all: `BlockList.check` builds a SocketAddress each time, about 2.7 µs a call).
   */
  includes(address: string): boolean {
    if (this.entries.length === 0) return false;
    let answer = this.seen.get(address);
    if (answer === undefined) {
      answer = this.check(address);
      if (this.seen.size >= SEEN_ADDRESSES) this.seen.clear();
      this.seen.set(address, answer);
    }
    return answer;
  }

  /** `includes` without the memory of answers. */
  check(address: string): boolean {
    const family = isIP(address);
    if (family === 4) return this.list.check(address, 'ipv4');
    if (family === 6) return this.list.check(address, 'ipv6');
    return false;
  }
}

function problemWith(entry: string): string | null {
  const parts = entry.split('/');
  if (parts.length > 2) return "has more than one '/'";
  const [address, prefix] = parts;
  const family = isIP(address);
  if (family === 0) return prefix === undefined ? 'is not an IP address' : 'does not start with an IP address';
  if (prefix === undefined) return null;
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return `has a prefix that is not a whole number from 0 to ${bits}`;
  return null;
}
