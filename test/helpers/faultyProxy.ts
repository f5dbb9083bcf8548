import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does with one request: pass it on (`slow`: after 300 ms), answer 503, never answer, drop the
 * connection, or answer `{ status, body }` (a JSON body) as a refusing or misbehaving subgraph would.
 */
export type Fault = 'pass' | 'slow' | 'unavailable' | 'hang' | 'drop' | { status: number; body: unknown };

export interface FaultyProxy {
  url: string;
  /** Requests received so far (POSTs: what a router sends), with their headers and bodies. */
  requests: { headers: http.IncomingHttpHeaders; body: string }[];
  /** Decides each request's fate from its index (0-based); change it at any time. */
  behaviour: (index: number) => Fault;
  close(): Promise<void>;
}

/**
 * A stand-in between the router and one subgraph that injects faults: a subgraph that answers 503, hangs,
 * or dies mid-request (`drop` destroys the socket after the request arrived, as a killed process would).
 * Requests that `pass` are forwarded to `targetUrl` unchanged.
 */
export async function startFaultyProxy(targetUrl: string, behaviour: (index: number) => Fault): Promise<FaultyProxy> {
  const sockets = new Set<Socket>();
  const proxy: FaultyProxy = { url: '', requests: [], behaviour, close: async () => {} };
  const server = http.createServer(async (req, res) => {
    // The router only POSTs to subgraphs. Anything else is a stray request from another test's process that still
    // polls a port this proxy now has (two test files run at a time): answered, never recorded.
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const index = proxy.requests.length;
    proxy.requests.push({ headers: req.headers, body });
    const fault = proxy.behaviour(index);
    if (fault === 'hang') return;
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault === 'unavailable') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('upstream restarting at http://10.0.0.7:4003');
      return;
    }
    if (typeof fault === 'object') {
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(fault.body));
      return;
    }
    if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, 300));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers[name] = value;
    }
    const upstream = await fetch(targetUrl, { method: 'POST', headers, body });
    const text = await upstream.text();
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  proxy.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}
