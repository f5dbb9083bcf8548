import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSubgraphFetcher } from '../../router/gateway/createSubgraphFetcher';

/**
 * The subgraph fetcher's timeout (issue 18 moved it from an AbortController per call to a lighter signal undici
 * accepts): each case runs through `withTimeout(ms)` and through the plain fetcher with an AbortSignal that
 * aborts with the same reason after the same time, and both must end alike.
 */
describe('subgraph fetcher timeouts: the light signal ends calls as an AbortSignal does', () => {
  const sockets = new Set<import('node:net').Socket>();
  let server: http.Server;
  let base: string;
  const pool = createSubgraphFetcher({ idleTimeoutMs: 1_000, connectionsPerSubgraph: 8 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/answer') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data":{"ok":true}}');
      } else if (req.url === '/half-body') {
        // Headers and part of the body, then nothing: the timeout must end the body's read.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"data":');
      }
      // '/hang': never answers.
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await pool.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const timeoutReason = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');

  /** How a call ended: its status and body, or its error's name and message. */
  async function outcome(call: Promise<{ status: number; text(): Promise<string> }>) {
    try {
      const response = await call;
      return { status: response.status, body: await response.text() };
    } catch (error) {
      return { error: (error as Error).name, message: (error as Error).message };
    }
  }

  function withAbortSignal(path: string, ms: number) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(timeoutReason()), ms);
    return pool.fetcher(`${base}${path}`, { method: 'POST', body: '{}', signal: controller.signal }).finally(() => clearTimeout(timer));
  }

  // The answer gets a timeout no busy machine reaches (its case must not depend on the clock); the calls that
  // never finish get a short one, which is what they wait for.
  it.each([
    ['an answer in time', '/answer', 10_000],
    ['no answer', '/hang', 150],
    ['headers then a body that stops', '/half-body', 150],
  ])('%s', async (_name, path, ms) => {
    const light = await outcome(pool.withTimeout(ms)(`${base}${path}`, { method: 'POST', body: '{}' }));
    const reference = await outcome(withAbortSignal(path, ms));
    expect(light).toEqual(reference);
    if (path === '/answer') expect(light).toEqual({ status: 200, body: '{"data":{"ok":true}}' });
    else expect(light).toEqual({ error: 'TimeoutError', message: 'The operation was aborted due to timeout' });
  });

  it('leaves a call that brings its own signal to it', async () => {
    const controller = new AbortController();
    const call = pool.withTimeout(60_000)(`${base}/hang`, { method: 'POST', body: '{}', signal: controller.signal });
    controller.abort(new Error('the caller gave up'));
    expect(await outcome(call)).toEqual({ error: 'Error', message: 'the caller gave up' });
  });
});
