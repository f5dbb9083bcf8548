import type { Fetcher, FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent, type Dispatcher } from 'undici';
import { TIME_LEFT_HEADER } from '../../shared';

export interface SubgraphFetcherOptions {
  /**
   * How long an idle socket stays in the pool. It must be shorter than the subgraphs' `keepAliveTimeout`
   * (65 s for ours, 5 s for a stock Node server), or the router may write to a socket the subgraph is
   * closing and get ECONNRESET. Default 4 s: safe against any Node server's default.
   */
  idleTimeoutMs: number;
  /** Most sockets per subgraph origin. Default 128. */
  connectionsPerSubgraph: number;
}

class Headers implements FetcherHeaders {
  private readonly map = new Map<string, string>();
  constructor(raw: Record<string, string | string[] | undefined>) {
    for (const [name, value] of Object.entries(raw)) {
      if (value !== undefined) this.map.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
    }
  }
  append(name: string, value: string): void {
    const current = this.map.get(name.toLowerCase());
    this.map.set(name.toLowerCase(), current === undefined ? value : `${current}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

class BufferedResponse implements FetcherResponse {
  bodyUsed = false;
  readonly redirected = false;
  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: Headers,
    private readonly body: Buffer,
  ) {}
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  get statusText(): string {
    return STATUS_TEXT[this.status] ?? '';
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }
  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.body.toString('utf8');
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  clone(): FetcherResponse {
    return new BufferedResponse(this.url, this.status, this.headers, this.body);
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * What undici needs of a request's abort signal, without an AbortController per subgraph call: undici takes
 * any object with `on` (an EventEmitter's shape) and listens with `once('abort')`, reads `aborted` and
 * `reason`, and stops listening with `removeListener`. An AbortController and its AbortSignal (an EventTarget)
 * per call, with undici's listener added and removed, were 0.8 % of the router's busy CPU on canned distinct
 * "my orders". Aborting rejects the call with `reason`, as an aborted AbortSignal does.
 */
class TimeoutSignal {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | null = null;
  on(_event: 'abort', listener: () => void): this {
    this.listener = listener;
    return this;
  }
  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }
  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = null;
    return this;
  }
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = null;
    listener?.();
  }
}

function headerOf(headers: FetcherRequestInit['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const withGet = headers as { get?: (name: string) => string | null };
  if (typeof withGet.get === 'function') return withGet.get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Subgraph URLs already split into origin and path: a router calls a handful of URLs, and parsing one took 1 µs a call. */
const targets = new Map<string, Readonly<{ origin: string; path: string }>>();
/** A bound the cache never passes, whatever URLs a data source computes per request (it starts again when full). */
const MAX_TARGETS = 1000;

/**
 * `url`'s origin, and the path and query undici sends: those of the URL as WHATWG parsing gives them (what
 * `fetch` sends: `..` resolved, characters percent-encoded, a fragment or an empty `?` dropped), at least `/`.
 * A URL with a user name or password is refused: the call would go out without them, and the URL with them is
 * the response's URL, which errors carry and logs show.
 */
export function targetOf(url: string): Readonly<{ origin: string; path: string }> {
  let target = targets.get(url);
  if (target === undefined) {
    // From the parsed URL, not by cutting the text: `http://Subgraph:80/graphql` has the origin `http://subgraph`.
    const { origin, pathname, search, username, password } = new URL(url);
    if (username !== '' || password !== '') {
      throw new TypeError('A subgraph URL may not carry a user name or password: give the subgraph its credential in a header.');
    }
    target = Object.freeze({ origin, path: `${pathname}${search}` });
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, target);
  }
  return target;
}

/**
 * The router's fetcher for subgraph calls: an undici Agent (one keep-alive pool per subgraph origin)
 * instead of the gateway's default, whose idle sockets outlive what a Node server keeps open.
 */
export function createSubgraphFetcher(options: SubgraphFetcherOptions): {
  fetcher: Fetcher;
  /** The same pool, with requests abandoned after `timeoutMs` (a subgraph that hangs answers SUBGRAPH_TIMEOUT). */
  withTimeout: (timeoutMs: number) => Fetcher;
  close: () => Promise<void>;
} {
  const agent = new Agent({
    keepAliveTimeout: options.idleTimeoutMs,
    keepAliveMaxTimeout: options.idleTimeoutMs,
    connections: options.connectionsPerSubgraph,
    pipelining: 1,
  });
  const send = async (url: string, init: FetcherRequestInit, signal: Dispatcher.RequestOptions['signal']) => {
    const { origin, path } = targetOf(url);
    const response = await agent.request({
      origin,
      path,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: init.headers,
      body: init.body,
      signal,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return new BufferedResponse(url, response.statusCode, new Headers(response.headers), body);
  };
  const fetcher: Fetcher = (url: string, init: FetcherRequestInit = {}) => send(url, init, init.signal);
  const withTimeout =
    (timeoutMs: number): Fetcher =>
    (url, init = {}) => {
      // The data source puts each call's own timeout (the request's time left) in the header it sends.
      const timeLeft = Number(headerOf(init.headers, TIME_LEFT_HEADER));
      const ms = Number.isFinite(timeLeft) && timeLeft > 0 ? Math.min(timeLeft, timeoutMs) : timeoutMs;
      if (init.signal) return fetcher(url, init);
      // Not AbortSignal.timeout: its timer cannot be cancelled, so every call that had long finished still
      // fired an abort (with a DOMException and its stack) seconds later, 1.3 % of the router's busy CPU.
      const signal = new TimeoutSignal();
      const timer = setTimeout(() => signal.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
      timer.unref();
      return send(url, init, signal as unknown as Dispatcher.RequestOptions['signal']).finally(() => clearTimeout(timer));
    };
  return { fetcher, withTimeout, close: () => agent.close() };
}

/** A subgraph query as the gateway sends it: `{"query":"query …` (mutations start with `mutation`, and are never shared). */
const QUERY_BODY = /^\{"query":"(query\b|\{)/;

/**
 * Shares one subgraph call between identical queries in flight at the same time: same subgraph URL, same
 * document and variables, and the same caller identity (`x-user-id`, `x-user-scopes`), so one caller's answer
 * never reaches another. Each waiter gets its own copy of the raw body to parse. Mutations always go out on
 * their own. The share ends when the call settles: nothing is cached.
 */
export function deduplicatingQueries(fetcher: Fetcher, identityHeaders: readonly string[]): Fetcher {
  const inFlight = new Map<string, Promise<FetcherResponse>>();
  return async (url: string, init: FetcherRequestInit = {}): Promise<FetcherResponse> => {
    const body = typeof init.body === 'string' ? init.body : null;
    if (!body || (init.method ?? 'GET') !== 'POST' || !QUERY_BODY.test(body)) return fetcher(url, init);
    // Callers share only with others whose time left is in the same second: a call carries its first caller's
    // deadline (abort timer, x-request-time-left-ms), which must suit every waiter.
    const timeLeft = Number(headerOf(init.headers, TIME_LEFT_HEADER));
    const bucket = Number.isFinite(timeLeft) ? Math.ceil(timeLeft / 1000) : '';
    const key = `${url}\n${bucket}\n${identityHeaders.map((name) => headerOf(init.headers, name) ?? '').join('\n')}\n${body}`;
    const existing = inFlight.get(key);
    if (existing) return (await existing).clone();
    const call = fetcher(url, init).finally(() => inFlight.delete(key));
    inFlight.set(key, call);
    return (await call).clone();
  };
}
