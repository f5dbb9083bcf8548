import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { gatewayFastPathCalls, signDevelopmentToken } from '../../router';
import type { RouterConfig } from '../../router/RouterConfig';
import { projectPath } from '../../shared';
import { e2eSuiteOperations, type SuiteOperation } from '../helpers/e2eOperations';
import { insertCategory, insertOrders, insertProducts, insertUsers } from '../helpers/fixtures';
import { sampleValue, scrape } from '../helpers/prometheus';
import { type Stack, startStack, testRouterConfig } from '../helpers/stack';

type RouterModule = typeof import('../../router');

/**
 * Runs `use` with the router module of a module registry of its own (`jest.isolateModulesAsync`): a fresh
 * `@apollo/gateway` and federation-internals that no router of this file's registry has patched. The router
 * lives and stops inside `use` (Apollo Server loads some plugins lazily, from the registry active then).
 */
async function withIsolatedRouterModule(use: (module: RouterModule) => Promise<void>): Promise<void> {
  await jest.isolateModulesAsync(async () => {
    await use(require('../../router') as RouterModule);
  });
}

/**
 * The router built from dist/ in a process of its own with `env` (the stack's subgraphs, test defaults, free
 * ports); resolves once it listens, with its URL and every log line so far.
 */
async function routerProcess(stack: Stack, env: Record<string, string>) {
  const child = spawn(process.execPath, [projectPath('dist', 'router', 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'fastpaths-')),
      ROUTER_PORT: '0',
      ROUTER_ADMIN_PORT: '0',
      ACCOUNT_URL: stack.subgraphUrls.account,
      PRODUCT_URL: stack.subgraphUrls.product,
      ORDER_URL: stack.subgraphUrls.order,
      USAGE_RECORDING: 'false',
      ROUTER_MAX_EVENT_LOOP_LAG_MS: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: { msg: string; port?: number; active?: string[] }[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) {
        const entry = JSON.parse(line) as (typeof lines)[number];
        lines.push(entry);
        if (entry.msg.startsWith('router at ')) resolve(`http://127.0.0.1:${entry.port}/graphql`);
      }
    });
    child.once('exit', (code) => reject(new Error(`the router process exited with ${code}: ${JSON.stringify(lines)}`)));
  });
  return {
    url,
    lines,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What a client sees of an answer, as compared here: status, data, and each error's message, path and code. */
async function send(url: string, operation: SuiteOperation, authorization?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query: operation.query, operationName: operation.operationName, variables: operation.variables }),
  });
  const body = (await response.json()) as {
    data?: unknown;
    errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[];
  };
  return {
    status: response.status,
    data: body.data,
    errors: body.errors?.map(({ message, path, extensions }) => ({ message, path, code: extensions?.code })),
  };
}

describe('the gateway fast paths', () => {
  let stack: Stack;
  const started: { stop(): Promise<void> }[] = [];

  /** A router over the stack's subgraphs built by `module` (another registry's), listening on a free port. */
  async function routerFrom(
    module: RouterModule,
    overrides: Partial<RouterConfig>,
    logger = pino({ level: 'silent' }),
    versions?: Record<string, string>,
  ) {
    const config = testRouterConfig({
      subgraphUrls: { ACCOUNT: stack.subgraphUrls.account, PRODUCT: stack.subgraphUrls.product, ORDER: stack.subgraphUrls.order },
      ...overrides,
    });
    const router = await module.createRouter({ config, logger, ...(versions ? { gatewayVersions: versions } : {}) });
    started.push(router);
    return `http://127.0.0.1:${(await router.listen()).port}/graphql`;
  }

  beforeAll(async () => {
    // This file's registry: a router with the fast paths on (the default).
    stack = await startStack('fastpaths', { gatewayFastPaths: true });
    await insertUsers(stack.databases.account.dataSource, [
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Bea' },
      { id: 7, name: 'Cy' },
    ]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Kitchen');
    await insertProducts(
      stack.databases.product.dataSource,
      Array.from({ length: 12 }, (_, i) => ({ id: i + 1, name: `Product ${i + 1}`, priceCents: 1000 + i, stock: i % 3, categoryId: 1 })),
    );
    await insertOrders(stack.databases.order.dataSource, {
      firstOrderId: 1,
      userId: 1,
      count: 4,
      itemsPerOrder: 3,
      productIds: [1, 2, 3, 4, 5],
      unitPriceCents: (id) => 990 + id,
    });
    await insertOrders(stack.databases.order.dataSource, {
      firstOrderId: 100,
      userId: 2,
      count: 25,
      itemsPerOrder: 2,
      productIds: Array.from({ length: 12 }, (_, i) => i + 1),
      unitPriceCents: (id) => 999 + id,
    });
  });

  /** Stops every router started so far, latest first. */
  async function stopStarted() {
    for (const router of started.splice(0).reverse()) await router.stop();
  }

  afterAll(async () => {
    await stopStarted();
    await stack?.stop();
  });

  it('are called on the request path of the installed gateway: a request through the router reaches each', async () => {
    const operation = e2eSuiteOperations().find((candidate) => candidate.query.includes('query UserOrders'));
    if (!operation) throw new Error('the cross-subgraph query is no longer in the e2e suite');
    const authorization = `Bearer ${await stack.token('1')}`;
    const before = gatewayFastPathCalls();
    for (let n = 0; n < 3; n++) {
      const answer = await send(stack.routerUrl, { ...operation, variables: { id: '1', first: 5 } }, authorization);
      expect(answer.errors).toBeUndefined();
    }
    const after = gatewayFastPathCalls();
    // One response shaping per request; the operation is rebuilt for execution on each request (and once to plan).
    expect(after.computeResponse - before.computeResponse).toBe(3);
    expect(after.operationFromDocument - before.operationFromDocument).toBeGreaterThanOrEqual(3);
    // Every subgraph call: the user, their orders, the orders' products (3 per request at least).
    expect(after.sendRequest - before.sendRequest).toBeGreaterThanOrEqual(9);
    // Apollo Server's pipeline: the document's hash, the negotiation of incremental delivery, the CSRF check (the
    // in-process subgraphs' Apollo Servers go through them too).
    expect(after.queryHash - before.queryHash).toBeGreaterThanOrEqual(3);
    // The gateway's query plan key: the document's hash with the operation's name.
    expect(after.planKeyHash - before.planKeyHash).toBeGreaterThanOrEqual(3);
    expect(after.mediaType - before.mediaType).toBeGreaterThanOrEqual(3);
    expect(after.preventCsrf - before.preventCsrf).toBeGreaterThanOrEqual(3);
    // …and /metrics says so, for an operator to alert on.
    const samples = await scrape(`${stack.adminUrl}/metrics`);
    expect(sampleValue(samples, 'gateway_fast_path_calls_total', { fast_path: 'computeResponse' })).toBe(after.computeResponse);
  });

  it('answer every query of the e2e suite as the gateway’s own code does (fast paths off, in a process of its own)', async () => {
    const plain = await routerProcess(stack, { ROUTER_GATEWAY_FAST_PATHS: 'false' });
    started.push(plain);
    const stockUrl = plain.url;
    expect(plain.lines.find((line) => line.msg.startsWith('gateway fast paths'))).toMatchObject({ active: [] });
    const operations = e2eSuiteOperations();
    const config = testRouterConfig();
    const callers: (string | undefined)[] = [
      undefined,
      `Bearer ${await signDevelopmentToken(config.auth, { userId: '1', scopes: [] })}`,
      `Bearer ${await signDevelopmentToken(config.auth, { userId: '2', scopes: ['catalog:write'] })}`,
    ];
    let withData = 0;
    const before = gatewayFastPathCalls();
    for (const operation of operations) {
      for (const authorization of callers) {
        const [fast, plain] = [await send(stack.routerUrl, operation, authorization), await send(stockUrl, operation, authorization)];
        expect({ operation: operation.query, operationName: operation.operationName, answer: fast }).toEqual({
          operation: operation.query,
          operationName: operation.operationName,
          answer: plain,
        });
        if (fast.data && Object.values(fast.data).some((value) => value !== null)) withData += 1;
      }
    }
    // The comparison ran through the fast paths on one side only, over operations that returned data.
    expect(gatewayFastPathCalls().computeResponse - before.computeResponse).toBeGreaterThan(0);
    expect(gatewayFastPathCalls().sendRequest - before.sendRequest).toBeGreaterThan(0);
    console.log(
      `fast paths on and off: ${operations.length} e2e queries × ${callers.length} callers compared, ${withData} answers with data`,
    );
    expect(operations.length).toBeGreaterThanOrEqual(40);
    expect(withData).toBeGreaterThanOrEqual(60);
  });

  it('answer what Apollo Server negotiates and refuses (Accept, Content-Type, CSRF, GET, persisted queries) as its own code does', async () => {
    const plain = await routerProcess(stack, { ROUTER_GATEWAY_FAST_PATHS: 'false' });
    started.push(plain);
    const query = 'query Detail($id: ID!) { product(id: $id) { id name } }';
    const body = (extra: Record<string, unknown> = {}) =>
      JSON.stringify({ query, operationName: 'Detail', variables: { id: '3' }, ...extra });
    const sha = createHash('sha256').update(query).digest('hex');
    type ShapeRequest = { name: string; method?: string; search?: string; headers: Record<string, string>; body?: string };
    const requests: ShapeRequest[] = [
      ...[
        undefined,
        'application/json',
        'application/graphql-response+json',
        'application/graphql-response+json, application/json;q=0.9',
        'multipart/mixed;deferSpec=20220824, application/json',
        '*/*',
        'image/png',
        'application/json;q=0',
      ].map(
        (accept): ShapeRequest => ({
          name: `accept ${accept}`,
          headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
          body: body(),
        }),
      ),
      ...['application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'].flatMap(
        (contentType): ShapeRequest[] => [
          { name: `content-type ${contentType}`, headers: { 'content-type': contentType }, body: body() },
          {
            name: `content-type ${contentType} with a preflight header`,
            headers: { 'content-type': contentType, 'apollo-require-preflight': 'true' },
            body: body(),
          },
        ],
      ),
      { name: 'GET', method: 'GET', search: `?query=${encodeURIComponent('{ product(id: "2") { name } }')}`, headers: {} },
      {
        name: 'GET with a preflight header',
        method: 'GET',
        search: `?query=${encodeURIComponent('{ product(id: "2") { name } }')}`,
        headers: { 'apollo-require-preflight': 'true' },
      },
      {
        name: 'a persisted query by hash, before it is registered',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ variables: { id: '4' }, extensions: { persistedQuery: { version: 1, sha256Hash: sha } } }),
      },
      {
        name: 'a persisted query registered with its document',
        headers: { 'content-type': 'application/json' },
        body: body({ extensions: { persistedQuery: { version: 1, sha256Hash: sha } } }),
      },
      {
        name: 'a persisted query by hash, once registered',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ variables: { id: '4' }, extensions: { persistedQuery: { version: 1, sha256Hash: sha } } }),
      },
      {
        name: 'a persisted query whose hash is not its document’s',
        headers: { 'content-type': 'application/json' },
        body: body({ extensions: { persistedQuery: { version: 1, sha256Hash: sha.replace(/^./, (c) => (c === '0' ? '1' : '0')) } } }),
      },
    ];
    const shape = async (url: string, request: (typeof requests)[number]) => {
      const response = await fetch(`${url}${request.search ?? ''}`, {
        method: request.method ?? 'POST',
        headers: request.headers,
        body: request.body,
      });
      const text = await response.text();
      let parsed: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | string = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: compared as text.
      }
      return {
        status: response.status,
        contentType: response.headers.get('content-type'),
        // Everything but the extensions (the cost figures hold each router's own budget).
        answer:
          typeof parsed === 'string'
            ? parsed
            : { data: parsed.data, errors: parsed.errors?.map(({ message, extensions }) => ({ message, code: extensions?.code })) },
      };
    };
    const before = gatewayFastPathCalls();
    const statuses = new Set<number>();
    for (const request of requests) {
      const [fast, stock] = [await shape(stack.routerUrl, request), await shape(plain.url, request)];
      expect({ request: request.name, ...fast }).toEqual({ request: request.name, ...stock });
      statuses.add(fast.status);
    }
    const after = gatewayFastPathCalls();
    expect(after.queryHash - before.queryHash).toBeGreaterThan(0);
    expect(after.mediaType - before.mediaType).toBeGreaterThan(0);
    expect(after.preventCsrf - before.preventCsrf).toBeGreaterThan(0);
    // Answers and refusals both: 200, and 400 (CSRF) and 406 (an Accept header the router cannot serve) at least.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 406]));
  });

  it('fall back to the stock code, with a warning, where a version was not tested: the gateway’s, Apollo Server’s apart', async () => {
    const operation: SuiteOperation = { file: '', query: '{ product(id: "1") { name price { amount } } }', variables: {} };
    const gatewayPaths = ['computeResponse', 'operationFromDocument', 'sendRequest', 'planKeyHash'];
    const serverPaths = ['queryHash', 'mediaType', 'preventCsrf'];
    for (const [untested, version, off, on] of [
      ['@apollo/gateway', '2.15.0', gatewayPaths, serverPaths],
      ['@apollo/server', '5.6.0', serverPaths, gatewayPaths],
    ] as const) {
      await withIsolatedRouterModule(async (module) => {
        const logged: { level: number; msg: string; reason?: string; active?: string[] }[] = [];
        const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
        const versions = { ...module.installedVersions(), [untested]: version } as Record<string, string>;
        const url = await routerFrom(module, { gatewayFastPaths: true }, logger, versions);
        const tested = untested === '@apollo/gateway' ? '2.14.4' : '5.5.1';
        expect(logged.find((line) => line.msg.startsWith('gateway fast paths'))).toMatchObject({
          level: 40,
          msg: 'gateway fast paths off where untested: the stock code serves there',
          reason: `${off.join(', ')}: untested versions: ${untested} ${version} (tested with ${tested})`,
        });
        expect([...module.activeGatewayFastPaths()].sort()).toEqual([...on].sort());
        expect(await send(url, operation)).toEqual({ status: 200, data: { product: { name: 'Product 1', price: { amount: '10.00' } } } });
        const calls = module.gatewayFastPathCalls() as Record<string, number>;
        for (const name of off) expect({ name, calls: calls[name] }).toEqual({ name, calls: 0 });
        // The query has no operation name: the gateway keys its plan by the document's hash alone.
        for (const name of on.filter((name) => name !== 'planKeyHash')) expect(calls[name]).toBeGreaterThan(0);
        await stopStarted();
      });
    }
  });

  it('log at start which are active', async () => {
    await withIsolatedRouterModule(async (module) => {
      const logged: { msg: string; active?: string[] }[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
      await routerFrom(module, { gatewayFastPaths: true }, logger);
      await stopStarted();
      expect(logged.find((line) => line.msg === 'gateway fast paths')?.active).toEqual([
        'computeResponse',
        'operationFromDocument',
        'sendRequest',
        'queryHash',
        'planKeyHash',
        'mediaType',
        'preventCsrf',
      ]);
    });
  });
});
