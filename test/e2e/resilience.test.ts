import fs from 'node:fs';
import net from 'node:net';
import pino from 'pino';
import { prepareSupergraph, type Router, type RouterConfig, readRouterConfig } from '../../router';
import { DEFAULT_SERVER_LIMITS, projectPath, TIME_LEFT_HEADER } from '../../shared';
import { StockGateways } from '../conformance/stockGateway';
import { type FaultyProxy, startFaultyProxy } from '../helpers/faultyProxy';
import { insertOneOrderOfOneProduct } from '../helpers/fixtures';
import { readJson } from '../helpers/http';
import { type Stack, startStack } from '../helpers/stack';

const QUERY = '{ product(id: "1") { name } user(id: "1") { name orders { edges { node { id } } } } }';
const FULL = { product: { name: 'Saw' }, user: { name: 'Ada', orders: { edges: [{ node: { id: '1' } }] } } };

describe('surviving subgraph faults', () => {
  let stack: Stack;
  let token: string;
  const open: { router: Router; proxy: FaultyProxy }[] = [];

  beforeAll(async () => {
    stack = await startStack('faults');
    await insertOneOrderOfOneProduct(stack.databases, 50);
    token = await stack.token('1');
  });
  afterEach(async () => {
    for (const { router, proxy } of open.splice(0)) {
      await router.stop();
      await proxy.close();
    }
  });
  afterAll(() => stack.stop());

  /** A router whose order subgraph sits behind a faulty proxy. */
  async function routerBehindProxy(behaviour: FaultyProxy['behaviour'], overrides: Partial<RouterConfig> = {}) {
    const proxy = await startFaultyProxy(stack.subgraphUrls.order, behaviour);
    const { router, url } = await stack.startRouter({
      subgraphTimeoutMs: 2_000,
      retry: { maxRetries: 2, baseDelayMs: 5, budgetPercent: 10 },
      ...overrides,
      subgraphUrls: { ACCOUNT: stack.subgraphUrls.account, PRODUCT: stack.subgraphUrls.product, ORDER: proxy.url },
    });
    open.push({ router, proxy });
    const ask = async (query = QUERY, variables?: Record<string, unknown>) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: await readJson(response) };
    };
    return { router, proxy, url, ask };
  }

  function expectFull(body: any): void {
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual(FULL);
  }

  const codes = (body: any) => (body.errors ?? []).map((error: any) => error.extensions?.code);

  it('retries a query through a subgraph that answers 503 twice, then answers in full', async () => {
    const { router, proxy, ask } = await routerBehindProxy((index) => (index < 2 ? 'unavailable' : 'pass'));
    const { body } = await ask();
    expectFull(body);
    expect(proxy.requests).toHaveLength(3);
    expect(router.stats.subgraphs.order).toMatchObject({ retries: 2, failures: { SUBGRAPH_UNAVAILABLE: 2 } });
  });

  it('retries a query whose subgraph was killed mid-request once it is back', async () => {
    const { proxy, ask } = await routerBehindProxy((index) => (index === 0 ? 'drop' : 'pass'));
    const { body } = await ask();
    expectFull(body);
    expect(proxy.requests).toHaveLength(2);
  });

  it('answers SUBGRAPH_UNAVAILABLE at the path when a killed subgraph stays down', async () => {
    const { proxy, ask } = await routerBehindProxy(() => 'drop', { retry: { maxRetries: 1, baseDelayMs: 5, budgetPercent: 10 } });
    const { body } = await ask();
    expect(body.data).toEqual({ product: { name: 'Saw' }, user: { name: 'Ada', orders: null } });
    expect(body.errors).toEqual([
      expect.objectContaining({
        path: ['user', 'orders'],
        extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'order' }),
      }),
    ]);
    expect(proxy.requests).toHaveLength(2);
  });

  it('never sends a mutation twice, even to a subgraph that answers 503', async () => {
    const { proxy, ask } = await routerBehindProxy(() => 'unavailable');
    const { body } = await ask(
      'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items, idempotencyKey: "retry-test-1" }) { id } }',
      { items: [{ productId: '1', quantity: 1 }] },
    );
    expect(codes(body)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.requests[0].body).toMatch(/^\{"query":"mutation/);
  });

  it('spends at most the retry budget: a failing subgraph is not hit by a retry storm', async () => {
    // A reserve of 10 retries, then 10 % of new calls: 30 queries may retry about 13 times, not 60.
    const { router, proxy, ask } = await routerBehindProxy(() => 'unavailable', {
      retry: { maxRetries: 2, baseDelayMs: 0, budgetPercent: 10 },
      breaker: { failureThreshold: 10_000, failureRatio: 1, windowMs: 10_000, cooldownMs: 10 },
    });
    for (let i = 0; i < 30; i++) await ask();
    const retries = router.stats.subgraphs.order.retries;
    expect(retries).toBeGreaterThanOrEqual(10);
    expect(retries).toBeLessThanOrEqual(14);
    expect(proxy.requests).toHaveLength(30 + retries);
  });

  it('opens the circuit after repeated failures, fails fast, then closes it after a successful probe', async () => {
    let healthy = false;
    const { router, proxy, ask } = await routerBehindProxy(() => (healthy ? 'pass' : 'unavailable'), {
      retry: { maxRetries: 0, baseDelayMs: 0, budgetPercent: 0 },
      breaker: { failureThreshold: 3, failureRatio: 0.5, windowMs: 10_000, cooldownMs: 300 },
    });
    for (let i = 0; i < 3; i++) expect(codes((await ask()).body)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(router.breakers.get('order')?.current).toBe('open');
    // Open: answered without calling the subgraph, with the rest of the data.
    const fast = await ask();
    expect(fast.body.data.product).toEqual({ name: 'Saw' });
    expect(fast.body.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'order', reason: 'circuit open' });
    expect(proxy.requests).toHaveLength(3);
    expect(router.stats.subgraphs.order.shortCircuited).toBe(1);
    // After the cool-down one probe goes through; it succeeds, so the circuit closes.
    healthy = true;
    await new Promise((resolve) => setTimeout(resolve, 350));
    expectFull((await ask()).body);
    expect(router.breakers.get('order')?.current).toBe('closed');
    expectFull((await ask()).body);
    expect(proxy.requests).toHaveLength(5);
  });

  it('shows each circuit in the readiness body, and stays ready with one subgraph down', async () => {
    const { router, ask } = await routerBehindProxy(() => 'unavailable', {
      retry: { maxRetries: 0, baseDelayMs: 0, budgetPercent: 0 },
      breaker: { failureThreshold: 2, failureRatio: 0.5, windowMs: 10_000, cooldownMs: 60_000 },
    });
    await ask();
    await ask();
    const adminPort = (router.adminServer.address() as net.AddressInfo | null)?.port;
    const response = await fetch(`http://127.0.0.1:${adminPort}/health/ready`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { subgraphs: { name: string; circuit: string; reachable: boolean }[] };
    expect(body.subgraphs).toEqual(
      expect.arrayContaining([
        { name: 'order', reachable: false, circuit: 'open' },
        { name: 'account', reachable: true, circuit: 'closed' },
      ]),
    );
  });

  it('tells the subgraph how long it still waits, and stops at the request deadline', async () => {
    const { proxy, ask } = await routerBehindProxy(() => 'hang', { requestTimeoutMs: 400, subgraphTimeoutMs: 5_000 });
    const started = Date.now();
    const { body } = await ask();
    const elapsed = Date.now() - started;
    expect(codes(body)).toEqual(['SUBGRAPH_TIMEOUT']);
    expect(body.data.product).toEqual({ name: 'Saw' });
    // The request deadline (400 ms), not the subgraph timeout (5 s), bounded the wait.
    expect(elapsed).toBeLessThan(3_000);
    const timeLeft = Number(proxy.requests[0].headers[TIME_LEFT_HEADER]);
    expect(timeLeft).toBeGreaterThan(0);
    expect(timeLeft).toBeLessThanOrEqual(400);
  });

  it('sends the subgraph timeout as time left when the request has more time', async () => {
    const { proxy, ask } = await routerBehindProxy(() => 'pass', { requestTimeoutMs: 60_000, subgraphTimeoutMs: 1_500 });
    expectFull((await ask()).body);
    expect(Number(proxy.requests[0].headers[TIME_LEFT_HEADER])).toBe(1_500);
  });
});

describe('a subgraph that refuses (4xx), in production mode', () => {
  let stack: Stack;
  let token: string;
  const strong = (name: string) => `production-strength-secret-for-${name}-0123456789`;
  const production: Partial<RouterConfig> = {
    production: true,
    auth: { ...readRouterConfig({ NODE_ENV: 'test' }).auth, secret: 'a-production-jwt-secret-0123456789abcdef' },
  };
  const open: { router: Router; proxy: FaultyProxy }[] = [];
  /** What a refusing subgraph says: its address, a stack, a request echo. None of it may reach the client. */
  const refusalBody = {
    errors: [
      {
        message: 'refused by http://10.0.0.7:4003/graphql',
        extensions: { code: 'BAD_REQUEST', stacktrace: ['Error: refused', '    at handler (/srv/order/dist/main.js:12:7)'] },
      },
    ],
  };

  beforeAll(async () => {
    stack = await startStack('refusals', production, strong);
    await insertOneOrderOfOneProduct(stack.databases, 50);
    token = await stack.token('1');
  });
  afterEach(async () => {
    for (const { router, proxy } of open.splice(0)) {
      await router.stop();
      await proxy.close();
    }
  });
  afterAll(() => stack.stop());

  /** A production router whose order subgraph sits behind a faulty proxy, logging into `lines`. */
  async function routerBehindProxy(behaviour: FaultyProxy['behaviour'], overrides: Partial<RouterConfig> = {}) {
    const proxy = await startFaultyProxy(stack.subgraphUrls.order, behaviour);
    const lines: { level: number; msg: string; subgraph?: string; status?: number; url?: string; body?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { router, url } = await stack.startRouter(
      {
        ...production,
        retry: { maxRetries: 2, baseDelayMs: 5, budgetPercent: 10 },
        breaker: { failureThreshold: 3, failureRatio: 0.5, windowMs: 10_000, cooldownMs: 60_000 },
        ...overrides,
        subgraphUrls: { ACCOUNT: stack.subgraphUrls.account, PRODUCT: stack.subgraphUrls.product, ORDER: proxy.url },
      },
      logger,
    );
    open.push({ router, proxy });
    const before = stack.statementCounts();
    const ask = async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: QUERY }),
      });
      return { status: response.status, text: await response.text() };
    };
    return { router, proxy, ask, lines, before };
  }

  it.each([400, 401, 403, 404, 413])(
    'answers a %i as SUBGRAPH_REQUEST_REFUSED at the path: no URL, body or stack sent, never retried, no circuit opened',
    async (status) => {
      const { router, proxy, ask, lines, before } = await routerBehindProxy(() => ({ status, body: refusalBody }));
      const answers = [];
      // More refusals than the breaker's threshold (3): a client's bad input must not open the circuit.
      for (let i = 0; i < 5; i++) answers.push(await ask());
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        const { data, errors } = JSON.parse(answer.text);
        expect({ data, errors }).toEqual({
          data: { product: { name: 'Saw' }, user: { name: 'Ada', orders: null } },
          errors: [
            {
              message: 'The order service refused this request.',
              path: ['user', 'orders'],
              extensions: { code: 'SUBGRAPH_REQUEST_REFUSED', subgraph: 'order' },
            },
          ],
        });
        expect(answer.text).not.toMatch(/10\.0\.0\.7|127\.0\.0\.1|stacktrace|main\.js|refused by/);
      }
      expect(proxy.requests).toHaveLength(5);
      expect(router.stats.subgraphs.order).toMatchObject({ retries: 0, failures: { SUBGRAPH_REQUEST_REFUSED: 5 }, shortCircuited: 0 });
      expect(router.breakers.get('order')?.current).toBe('closed');
      // The operator's log has what the client does not: the subgraph, its status, URL and answer.
      const logged = lines.filter((line) => line.subgraph === 'order' && line.status === status);
      expect(logged).toHaveLength(5);
      expect(logged[0]).toMatchObject({ url: proxy.url, body: expect.stringContaining('refused by http://10.0.0.7:4003/graphql') });
      // 401 and 403 are a credential the operator got wrong: error level (50), naming the variable; the rest warn (40).
      const level = status === 401 || status === 403 ? 50 : 40;
      expect(logged.map((line) => line.level)).toEqual(logged.map(() => level));
      if (level === 50) expect(logged[0].msg).toContain('ORDER_SUBGRAPH_SECRET');
      // Only the order subgraph's part was refused: no data changed anywhere.
      expect(stack.statementCounts().order).toBe(before.order);
    },
  );

  it('retries a 429 like a 503, then answers in full', async () => {
    const { router, proxy, ask } = await routerBehindProxy((index) => (index < 2 ? { status: 429, body: refusalBody } : 'pass'));
    const { text } = await ask();
    const { data, errors } = JSON.parse(text);
    expect({ data, errors }).toEqual({ data: FULL, errors: undefined });
    expect(proxy.requests).toHaveLength(3);
    expect(router.stats.subgraphs.order).toMatchObject({ retries: 2, failures: { SUBGRAPH_UNAVAILABLE: 2 } });
  });

  it('counts a 429 that persists as a failure: SUBGRAPH_UNAVAILABLE, and the circuit opens as for a 503', async () => {
    const { router, proxy, ask } = await routerBehindProxy(() => ({ status: 429, body: refusalBody }), {
      retry: { maxRetries: 0, baseDelayMs: 0, budgetPercent: 0 },
    });
    for (let i = 0; i < 3; i++) {
      const { text } = await ask();
      expect(JSON.parse(text).errors).toEqual([
        {
          message: 'The order service is unavailable.',
          path: ['user', 'orders'],
          extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'order' },
        },
      ]);
      expect(text).not.toMatch(/10\.0\.0\.7|127\.0\.0\.1|stacktrace|main\.js/);
    }
    expect(router.breakers.get('order')?.current).toBe('open');
    await ask();
    expect(proxy.requests).toHaveLength(3);
    expect(router.stats.subgraphs.order.shortCircuited).toBe(1);
  });

  it('answers like stock @apollo/gateway but for the refused part, which says nothing of the subgraph', async () => {
    // The reference in a process of its own (the router's fast paths patch the gateway in this one), on the same
    // supergraph with the product subgraph behind a proxy that answers 403.
    const stock = await StockGateways.launch();
    const proxy = await startFaultyProxy(stack.subgraphUrls.product, () => ({ status: 403, body: refusalBody }));
    const { router, url } = await stack.startRouter({
      ...production,
      subgraphUrls: { ACCOUNT: stack.subgraphUrls.account, PRODUCT: proxy.url, ORDER: stack.subgraphUrls.order },
    });
    const sdl = prepareSupergraph(fs.readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8')).gatewaySdl;
    const reference = await stock.start(sdl.replace('http://localhost:4002/graphql', proxy.url));
    try {
      const post = async (target: string | undefined) => {
        const response = await fetch(String(target), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ product(id: "1") { name } }' }),
        });
        return (await response.json()) as {
          data: unknown;
          errors: { message: string; path: unknown[]; extensions: Record<string, unknown> }[];
        };
      };
      const [ours, theirs] = [await post(url), await post(reference.url)];
      expect(ours.data).toEqual(theirs.data);
      expect(ours.data).toEqual({ product: null });
      // Stock relays the subgraph's status, URL and body, at no path; ours says which subgraph refused, at the path.
      expect(theirs.errors).toHaveLength(1);
      expect(theirs.errors[0].path).toBeUndefined();
      expect(ours.errors.map((error) => error.path)).toEqual([['product']]);
      expect(theirs.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', response: { status: 403, url: proxy.url } });
      expect(ours.errors[0].extensions).toEqual({ code: 'SUBGRAPH_REQUEST_REFUSED', subgraph: 'product' });
    } finally {
      await reference.stop();
      await stock.close();
      await router.stop();
      await proxy.close();
    }
  });

  it("never relays a subgraph's own stack trace or exception", async () => {
    const { ask } = await routerBehindProxy(() => ({
      status: 200,
      body: {
        data: { _entities: [null] },
        errors: [
          {
            message: 'Orders are resting',
            path: ['_entities', 0, 'orders'],
            extensions: {
              code: 'ORDERS_RESTING',
              stacktrace: ['Error: Orders are resting', '    at resolve (/srv/order/dist/resolvers.js:40:11)'],
              exception: { stacktrace: ['Error: Orders are resting'] },
            },
          },
        ],
      },
    }));
    const { text } = await ask();
    const body = JSON.parse(text);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ message: 'Orders are resting', extensions: { code: 'ORDERS_RESTING' } });
    expect(body.errors[0].extensions).not.toHaveProperty('stacktrace');
    expect(body.errors[0].extensions).not.toHaveProperty('exception');
    expect(text).not.toMatch(/resolvers\.js|stacktrace/);
  });
});

describe('router self-protection', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('shedding');
  });
  afterAll(() => stack.stop());

  it('sheds load with a quick 503 OVERLOADED and Retry-After while the event loop lags, then serves again', async () => {
    const { router, url } = await stack.startRouter({ maxEventLoopLagMs: 100 });
    try {
      const ask = () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      // Start-up itself kept the loop busy: let that leave the window first.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await ask()).status).toBe(200);
      const until = Date.now() + 300;
      while (Date.now() < until) {
        // Block the event loop, as a CPU-heavy burst would.
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      const shed = await ask();
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(((await shed.json()) as any).errors[0].extensions.code).toBe('OVERLOADED');
      expect(router.stats.shed).toBe(1);
      // Once the lag has left the one-second window, requests are served again.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect((await ask()).status).toBe(200);
    } finally {
      await router.stop();
    }
  });

  it('closes a client that sends its headers too slowly', async () => {
    const { router, url } = await stack.startRouter({
      limits: { ...DEFAULT_SERVER_LIMITS, headersTimeoutMs: 300, requestTimeoutMs: 1_000 },
    });
    try {
      const { port } = new URL(url);
      const socket = net.connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\n');
      const started = Date.now();
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString();
      });
      await new Promise((resolve) => socket.once('close', resolve));
      expect(received).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      await router.stop();
    }
  });
});
