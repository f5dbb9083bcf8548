import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Headers } from 'node-fetch';
import { createSubgraphFetcher, targetOf } from '../../router/gateway/createSubgraphFetcher';
import { headersObject } from '../../router/gateway/fastPaths/sendRequest';

/**
 * Two helpers on every subgraph call (issue 18): the copy of the gateway's node-fetch headers that the sendRequest
 * fast path hands the fetcher, and the fetcher's split of a subgraph URL into the origin and path undici takes.
 */
describe('headersObject: the gateway’s Object.fromEntries(headers), without node-fetch’s sorting iterator', () => {
  function gatewayHeaders(): Headers {
    // As the gateway and a data source build them: mixed-case names, a value set twice, one appended to.
    const headers = new Headers({ 'Content-Type': 'application/json' });
    headers.set('X-User-Id', '7');
    headers.set('x-user-scopes', 'orders:read');
    headers.set('x-user-id', '8');
    headers.append('Accept-Language', 'en');
    headers.append('accept-language', 'fr;q=0.5');
    headers.set('__proto__', 'an ordinary header');
    headers.delete('x-user-scopes');
    return headers;
  }

  it('gives the same names and values as Object.fromEntries of the headers', () => {
    const headers = gatewayHeaders();
    const copy = headersObject(headers);
    expect(copy).toEqual(Object.fromEntries(headers));
    expect(Object.keys(copy).sort()).toEqual(Object.keys(Object.fromEntries(headers)).sort());
    expect(copy).toEqual(
      Object.fromEntries([
        ['content-type', 'application/json'],
        ['x-user-id', '8'],
        ['accept-language', 'en, fr;q=0.5'],
        ['__proto__', 'an ordinary header'],
      ]),
    );
    // `__proto__` is an own key, as fromEntries makes it, not the object's prototype.
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });

  it('iterates anything else as the gateway does (a Map, an array of pairs)', () => {
    const pairs: [string, string][] = [
      ['content-type', 'application/json'],
      ['x-user-id', '7'],
    ];
    expect(headersObject(new Map(pairs))).toEqual({ 'content-type': 'application/json', 'x-user-id': '7' });
    expect(headersObject(pairs)).toEqual({ 'content-type': 'application/json', 'x-user-id': '7' });
  });
});

describe('targetOf: a subgraph URL as undici’s origin and path', () => {
  it.each([
    ['http://127.0.0.1:5102/graphql', 'http://127.0.0.1:5102', '/graphql'],
    ['http://product:4002', 'http://product:4002', '/'],
    ['http://Product.Internal:80/graphql?shard=2', 'http://product.internal', '/graphql?shard=2'],
    ['https://orders.example.com:443/api/graphql#ignored', 'https://orders.example.com', '/api/graphql'],
    ['http://[::1]:4003/a%20b/graphql', 'http://[::1]:4003', '/a%20b/graphql'],
  ])('%s is origin %s and path %s, the same on the second call', (url, origin, path) => {
    expect(targetOf(url)).toEqual({ origin, path });
    expect(targetOf(url)).toEqual({ origin, path });
  });

  it('refuses a URL with a user name or password (the call would go out without them), every time', () => {
    expect(() => targetOf('http://user:secret@product:4002/graphql')).toThrow('may not carry a user name or password');
    expect(() => targetOf('http://user:secret@product:4002/graphql')).toThrow('may not carry a user name or password');
    expect(() => targetOf('http://user@product:4002/graphql')).toThrow('may not carry a user name or password');
  });

  it('refuses a URL that is not one, every time', () => {
    expect(() => targetOf('not a url')).toThrow('Invalid URL');
    expect(() => targetOf('not a url')).toThrow('Invalid URL');
  });

  it('sends a call to a URL whose host and port are written as a person might to the right path', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":{"ok":true}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const pool = createSubgraphFetcher({ idleTimeoutMs: 1_000, connectionsPerSubgraph: 2 });
    try {
      const response = await pool.fetcher(`http://LOCALHOST:0${port}/graphql?x=1`, { method: 'POST', body: '{}' });
      expect(await response.json()).toEqual({ data: { ok: true } });
      expect(seen).toEqual(['/graphql?x=1']);
    } finally {
      await pool.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
