import type { IncomingMessage } from 'node:http';
import { readRouterConfig, TrustedProxies } from '../../router';
import { ApiKeys } from '../../router/demand/ApiKeys';
import { clientKeyOf } from '../../router/demand/clientKeyOf';
import { ConfigError } from '../../shared';

/** A request as clientKeyOf sees it: the socket's address and the headers. */
function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return {
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

const anonymous = { userId: null, scopes: new Set<string>() };

describe('TRUSTED_PROXIES', () => {
  it('matches exact addresses and CIDR ranges, IPv4 and IPv6, and nothing outside them', () => {
    const proxies = TrustedProxies.parse(' 10.0.0.7, 10.244.0.0/16,fd00::/8, 2001:db8::1 ');
    expect(proxies.entries).toEqual(['10.0.0.7', '10.244.0.0/16', 'fd00::/8', '2001:db8::1']);
    const inside = ['10.0.0.7', '10.244.0.1', '10.244.255.254', 'fd12:3456::1', 'fdff:ffff::', '2001:db8::1', '2001:db8:0:0::1'];
    const outside = ['10.0.0.8', '10.245.0.1', '10.243.255.255', 'fe00::1', 'fc00::1', '2001:db8::2', '::1', 'unknown', ''];
    expect(inside.filter((address) => !proxies.includes(address))).toEqual([]);
    expect(outside.filter((address) => proxies.includes(address))).toEqual([]);
  });

  it('reads a range with host bits as its network, /0 as everything of its family, and an empty list as none', () => {
    expect(TrustedProxies.parse('10.0.0.5/8').includes('10.99.1.2')).toBe(true);
    const all4 = TrustedProxies.parse('0.0.0.0/0');
    expect([all4.includes('203.0.113.9'), all4.includes('2001:db8::9')]).toEqual([true, false]);
    expect(TrustedProxies.parse('').entries).toEqual([]);
    expect(TrustedProxies.none.includes('127.0.0.1')).toBe(false);
  });

  it('answers as a fresh check does for 5,000 random addresses asked in turn, past its memory of 1,024', () => {
    // Differential: the remembered answers (and the shortcut with no proxies) against BlockList itself.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    const addresses = Array.from({ length: 5_000 }, (_, i) => {
      const n = next();
      if (i % 5 === 0) return `fd${(n % 256).toString(16).padStart(2, '0')}::${(n % 65_536).toString(16)}`;
      if (i % 7 === 0) return 'not an address';
      return `10.${243 + (n % 3)}.${(n >> 8) % 256}.${n % 256}`;
    });
    for (const text of ['10.244.0.0/16, fd10::/16, 10.243.5.5', '']) {
      const proxies = TrustedProxies.parse(text);
      const fresh = TrustedProxies.parse(text);
      // Each address three times, spread out, so that answers come from memory, from a new check, and after a reset.
      const asked = [...addresses, ...addresses.slice(0, 2_000), ...addresses];
      const differing = asked.filter((address) => proxies.includes(address) !== fresh.check(address));
      expect({ text, differing }).toEqual({ text, differing: [] });
      if (text) expect(asked.some((address) => proxies.includes(address))).toBe(true);
    }
  });

  it.each([
    ['10.0.0.0/33', "'10.0.0.0/33' has a prefix that is not a whole number from 0 to 32"],
    ['fd00::/129', "'fd00::/129' has a prefix that is not a whole number from 0 to 128"],
    ['10.0.0.0/', "'10.0.0.0/' has a prefix that is not a whole number from 0 to 32"],
    ['10.0.0.0/8x', "'10.0.0.0/8x' has a prefix that is not a whole number from 0 to 32"],
    ['10.0.0.0/-1', "'10.0.0.0/-1' has a prefix that is not a whole number from 0 to 32"],
    ['10.0.0/8', "'10.0.0/8' does not start with an IP address"],
    ['nginx', "'nginx' is not an IP address"],
    ['10.0.0.1/8/9', "'10.0.0.1/8/9' has more than one '/'"],
  ])('refuses %s at start with a line that names it', (entry, problem) => {
    const read = () => readRouterConfig({ TRUSTED_PROXIES: `10.0.0.1,${entry}` });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(
      `TRUSTED_PROXIES must be IP addresses or CIDR ranges separated by commas (10.0.0.7, 10.244.0.0/16, fd00::/8); ${problem}`,
    );
  });

  describe('telling clients apart behind a balancer', () => {
    const options = {
      apiKeyHeader: 'x-api-key',
      trustedProxies: TrustedProxies.parse('10.244.0.0/16,fd00::/8'),
      apiKeys: new ApiKeys([], 'x-api-key'),
    };

    it('believes X-Forwarded-For from a proxy in a trusted range: the client is the right-most address not a proxy', () => {
      expect(clientKeyOf(request('10.244.3.9', '203.0.113.5'), anonymous, options)).toBe('ip:203.0.113.5');
      expect(clientKeyOf(request('::ffff:10.244.3.9', '203.0.113.5'), anonymous, options)).toBe('ip:203.0.113.5');
      expect(clientKeyOf(request('fd00::17', '2001:db8::5'), anonymous, options)).toBe('ip:2001:db8::5');
      // A hop added by a second proxy in the range is skipped; what the client wrote itself (left) is not believed.
      expect(clientKeyOf(request('10.244.3.9', '198.51.100.1, 203.0.113.5, 10.244.7.7'), anonymous, options)).toBe('ip:203.0.113.5');
    });

    it('ignores X-Forwarded-For from anyone outside the ranges', () => {
      expect(clientKeyOf(request('10.245.0.1', '203.0.113.5'), anonymous, options)).toBe('ip:10.245.0.1');
      expect(clientKeyOf(request('203.0.113.5', '10.244.0.1'), anonymous, options)).toBe('ip:203.0.113.5');
    });
  });
});
