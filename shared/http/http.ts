import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '../errorRegistry';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** One route: exact path, and the handler. The handler checks the method itself (405 with `Allow`). */
export interface Route {
  path: string;
  handler: RequestHandler;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Sends a JSON body with the given status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json; charset=utf-8',
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** A GraphQL-shaped error response (`{ errors: [...] }`) for failures before GraphQL runs. */
export function sendHttpError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] }, error.headers);
}

/**
 * Reads a request body up to `maxBytes`. A larger body is refused as soon as its size is known
 * (from `content-length`, or while streaming), without buffering the rest.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, ErrorCode.PAYLOAD_TOO_LARGE, `The request body is larger than ${maxBytes} bytes.`, {
      connection: 'close',
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

/**
 * A server that dispatches on exact paths, with bounds on slow clients: headers must arrive within
 * `headersTimeoutMs` and the whole request within `requestTimeoutMs` (Node answers 408 and closes). Unknown paths get 404; a handler's HttpError becomes its
 * status and code; anything else is logged by `onError` and answered with a generic 500.
 */
export function createHttpServer(
  routes: Route[],
  onError: (error: unknown) => void,
  limits: { headersTimeoutMs?: number; requestTimeoutMs?: number } = {},
): http.Server {
  const byPath = new Map(routes.map((route) => [route.path, route.handler]));
  const requestTimeout = limits.requestTimeoutMs ?? 30_000;
  const options: http.ServerOptions = {
    headersTimeout: Math.min(limits.headersTimeoutMs ?? 10_000, requestTimeout),
    requestTimeout,
    // How often the two timeouts above are checked (Node's default, 30 s, would let a slow client stay that long).
    connectionsCheckingInterval: 500,
  };
  return http.createServer(options, async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = byPath.get(url.pathname);
    try {
      if (!handler) {
        throw new HttpError(404, ErrorCode.BAD_REQUEST, `No route for ${url.pathname}.`);
      }
      await handler(req, res, url);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendHttpError(res, error);
      } else {
        onError(error);
        sendHttpError(res, new HttpError(500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
      }
    }
  });
}

/** Listens and resolves with the bound port (pass 0 for a free one). */
export function listen(server: http.Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops accepting connections, lets in-flight requests finish, then closes idle keep-alive sockets.
 * After `graceMs`, whatever is still open is cut.
 */
export function closeServer(server: http.Server, graceMs = 10_000): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    // A keep-alive socket whose last response has just gone out is idle: close it rather than wait for its timeout.
    const sweeper = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearTimeout(timer);
      clearInterval(sweeper);
      resolve();
    });
    server.closeIdleConnections();
  });
}
