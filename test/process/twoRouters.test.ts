import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readRouterConfig, signDevelopmentToken } from '../../router';
import { freePorts } from '../../scripts/lib/net';
import { projectPath } from '../../shared';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { acceptsConnections } from '../helpers/net';
import { parsePrometheus } from '../helpers/prometheus';
import { type Stack, startStack } from '../helpers/stack';

const run = promisify(execFile);
const HAPROXY = '/usr/sbin/haproxy';
const REDIS_SERVER = 'redis-server';

/** Budget of every anonymous client: 100 points, 1 restored per second; a products page of 12 costs 25. */
const CAPACITY = 100;
const RESTORE_PER_SECOND = 1;
const PAGE_COST = 25;
const productsPage = '{ products(first: 12) { edges { node { id } } } }';
const lookup = '{ product(id: "1") { name } }';

interface Reply {
  status: number;
  body: any;
}

/**
 * POSTs a GraphQL request from a chosen local address (127.0.0.2, 127.0.0.3… are all this machine's), so that
 * the balancer sees clients at distinct addresses; resolves with status 0 when the connection fails.
 */
function post(url: string, payload: unknown, options: { from?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        localAddress: options.from ?? '127.0.0.1',
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => {
          let body: any = null;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
        response.on('error', () => resolve({ status: 0, body: null }));
      },
    );
    request.on('error', () => resolve({ status: 0, body: null }));
    request.end(JSON.stringify(payload));
  });
}

/** A child process and what it printed. */
interface Child {
  process: ChildProcess;
  output: () => string;
}

function start(command: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { process: child, output: () => output };
}

async function stopChild(child: Child | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

/** Resolves once `condition` holds, asking every 50 ms; fails after `ms` with `what`. */
async function until(condition: () => Promise<boolean>, what: () => string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true after ${ms} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Requests each router counted on its `/metrics` (`graphql_requests_total`, every label summed). */
async function requestsCounted(adminPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  return parsePrometheus(text)
    .filter((sample) => sample.name === 'graphql_requests_total')
    .reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * Two real router processes behind a real HAProxy (Debian's package) that health-checks their readiness
 * endpoint and forwards the client's address in `X-Forwarded-For`, on one Redis (a `redis-server` this test
 * starts, so that it can stop it mid-run). The subgraphs run in the test process.
 */
describe('two routers behind HAProxy, one Redis', () => {
  let stack: Stack;
  let redis: Child | undefined;
  let haproxy: Child | undefined;
  const routers: Child[] = [];
  const ports = { redis: 0, balancer: 0, routers: [] as { port: number; adminPort: number }[] };
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'two-routers-'));
  let balancerUrl = '';
  const routerUrl = (i: number) => `http://127.0.0.1:${ports.routers[i].port}/graphql`;

  function startRedis(): Child {
    return start(REDIS_SERVER, ['--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {});
  }
  const redisUp = () => acceptsConnections(ports.redis);

  beforeAll(async () => {
    stack = await startStack('two-routers');
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(
      stack.databases.product.dataSource,
      Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `Product ${i + 1}`, priceCents: 100 + i, stock: 5, categoryId: 1 })),
    );
    const free = await freePorts(6);
    ports.redis = free[0];
    ports.balancer = free[1];
    ports.routers = [
      { port: free[2], adminPort: free[3] },
      { port: free[4], adminPort: free[5] },
    ];
    redis = startRedis();
    await until(redisUp, () => `redis-server did not start:\n${redis?.output()}`);

    for (const { port, adminPort } of ports.routers) {
      routers.push(
        start(process.execPath, [projectPath('dist', 'router', 'main.js')], {
          DATA_DIR: directory,
          ROUTER_PORT: String(port),
          ROUTER_ADMIN_PORT: String(adminPort),
          ACCOUNT_URL: stack.subgraphUrls.account,
          PRODUCT_URL: stack.subgraphUrls.product,
          ORDER_URL: stack.subgraphUrls.order,
          REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
          // HAProxy connects from 127.0.0.1; the client's own address is in X-Forwarded-For.
          TRUSTED_PROXIES: '127.0.0.1/32',
          BUDGET_CAPACITY: String(CAPACITY),
          BUDGET_RESTORE_RATE: String(RESTORE_PER_SECOND),
          USAGE_RECORDING: 'false',
          // Sharing is under test, not load shedding: a busy 2-core machine must not shed.
          ROUTER_MAX_EVENT_LOOP_LAG_MS: '60000',
          LOG_LEVEL: 'warn',
        }),
      );
    }
    for (const [i, { adminPort }] of ports.routers.entries()) {
      await until(
        async () => (await fetch(`http://127.0.0.1:${adminPort}/health/ready`).catch(() => null))?.status === 200,
        () => `router ${i} did not get ready:\n${routers[i].output()}`,
      );
    }

    const config = path.join(directory, 'haproxy.cfg');
    fs.writeFileSync(
      config,
      [
        'global',
        '  maxconn 2000',
        'defaults',
        '  mode http',
        '  timeout connect 2s',
        '  timeout client 30s',
        '  timeout server 30s',
        // The client's address in X-Forwarded-For, which the routers believe from 127.0.0.1 only.
        '  option forwardfor',
        // No idle connection to a router is reused: none can be closed by the router as a request goes out on it.
        '  option http-server-close',
        'frontend graphql',
        `  bind 127.0.0.1:${ports.balancer}`,
        '  default_backend routers',
        'backend routers',
        '  balance roundrobin',
        '  option httpchk GET /health/ready',
        '  http-check expect status 200',
        ...ports.routers.map(
          ({ port, adminPort }, i) => `  server router${i} 127.0.0.1:${port} check port ${adminPort} inter 200ms fall 2 rise 1`,
        ),
        '',
      ].join('\n'),
    );
    await run(HAPROXY, ['-c', '-f', config]);
    haproxy = start(HAPROXY, ['-db', '-f', config], {});
    balancerUrl = `http://127.0.0.1:${ports.balancer}/graphql`;
    await until(
      async () => (await post(balancerUrl, { query: '{ __typename }' })).status === 200,
      () => `HAProxy did not answer:\n${haproxy?.output()}`,
    );
  }, 120_000);

  afterAll(async () => {
    await stopChild(haproxy);
    await Promise.all(routers.map(stopChild));
    await stopChild(redis);
    await stack.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('refuses a malformed TRUSTED_PROXIES at start with one line naming it', async () => {
    const failed = await run(process.execPath, [projectPath('dist', 'router', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', TRUSTED_PROXIES: '10.0.0.0/8,10.1.0.0/33', ROUTER_PORT: '0', ROUTER_ADMIN_PORT: '0' },
      timeout: 30_000,
    }).then(
      () => ({ code: 0, output: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: `${error.stdout}${error.stderr}` }),
    );
    expect(failed.code).toBe(1);
    expect(failed.output).toContain("'10.1.0.0/33' has a prefix that is not a whole number from 0 to 32");
  });

  it('throttles through router B a client that spent its budget through router A', async () => {
    // The test plays the balancer here (from 127.0.0.1, trusted), to choose the router.
    const as = { 'x-forwarded-for': '198.51.100.7' };
    for (let i = 0; i < CAPACITY / PAGE_COST; i++) {
      expect((await post(routerUrl(0), { query: productsPage }, { headers: as })).status).toBe(200);
    }
    const throughB = await post(routerUrl(1), { query: productsPage }, { headers: as });
    expect(throughB.status).toBe(429);
    expect(throughB.body.errors[0].extensions.code).toBe('THROTTLED');
  });

  it('gives two clients behind the balancer budgets of their own, each shared by both routers', async () => {
    const before = await Promise.all(ports.routers.map(({ adminPort }) => requestsCounted(adminPort)));
    const statuses: Record<string, number[]> = { '127.0.0.2': [], '127.0.0.3': [] };
    // Client 127.0.0.2 spends its whole budget and one more; client 127.0.0.3 asks after it.
    for (let i = 0; i <= CAPACITY / PAGE_COST; i++)
      statuses['127.0.0.2'].push((await post(balancerUrl, { query: productsPage }, { from: '127.0.0.2' })).status);
    for (let i = 0; i < CAPACITY / PAGE_COST; i++)
      statuses['127.0.0.3'].push((await post(balancerUrl, { query: productsPage }, { from: '127.0.0.3' })).status);
    const after = await Promise.all(ports.routers.map(({ adminPort }) => requestsCounted(adminPort)));
    const perRouter = after.map((count, i) => count - before[i]);
    console.log(`two clients through HAProxy: ${JSON.stringify(statuses)}; requests per router ${perRouter.join(' / ')}`);
    expect(statuses['127.0.0.2']).toEqual([200, 200, 200, 200, 429]);
    expect(statuses['127.0.0.3']).toEqual([200, 200, 200, 200]);
    // Round robin: each router saw part of each client's requests (so neither could have refused alone).
    expect(Math.min(...perRouter)).toBeGreaterThanOrEqual(3);
  });

  it('serves through router B a hash registered through router A (APQ in Redis)', async () => {
    const query = `query Apq${Date.now()} { product(id: "2") { name } }`;
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    expect((await post(routerUrl(1), { extensions: { persistedQuery } })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(routerUrl(0), { query, extensions: { persistedQuery } })).body.data).toEqual({ product: { name: 'Product 2' } });
    // Apollo Server writes the registration after answering: ask B until it has it.
    await until(
      async () => (await post(routerUrl(1), { extensions: { persistedQuery } })).body.data?.product?.name === 'Product 2',
      () => 'router B never served the hash',
      5_000,
    );
  });

  it('never overspends a budget under a concurrent burst through the balancer', async () => {
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 24 }, () => post(balancerUrl, { query: productsPage }, { from: '127.0.0.4' })));
    const seconds = (Date.now() - started) / 1000;
    const accepted = replies.filter((reply) => reply.status === 200).length;
    const refused = replies.filter((reply) => reply.status === 429).length;
    const allowed = Math.floor((CAPACITY + seconds * RESTORE_PER_SECOND) / PAGE_COST);
    console.log(
      `budget accuracy: 24 concurrent requests of ${PAGE_COST} points through 2 routers, ${accepted} accepted (the budget allows ${allowed}: ${CAPACITY} points + ${(seconds * RESTORE_PER_SECOND).toFixed(1)} restored in ${seconds.toFixed(2)} s), ${refused} refused`,
    );
    expect(accepted + refused).toBe(24);
    expect(accepted).toBeLessThanOrEqual(allowed);
    expect(accepted).toBeGreaterThanOrEqual(CAPACITY / PAGE_COST);
  });

  it('fails no request while Redis stops and comes back under load through the balancer', async () => {
    // Signed-in users, 200 of them in turn, asking a 2-point lookup: their budgets refuse nothing (asserted).
    const auth = readRouterConfig({}).auth;
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => signDevelopmentToken(auth, { userId: String(900_000 + i) })));
    const outcomes = new Map<number, number>();
    let sent = 0;
    let phase: 'before' | 'down' | 'back' = 'before';
    const byPhase = { before: 0, down: 0, back: 0 };
    let running = true;
    const worker = async () => {
      while (running) {
        const token = tokens[sent++ % tokens.length];
        const reply = await post(balancerUrl, { query: lookup }, { headers: { authorization: `Bearer ${token}` } });
        const ok = reply.status === 200 && reply.body.data?.product?.name === 'Product 1';
        const key = ok ? 200 : reply.status === 200 ? -1 : reply.status;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        byPhase[phase]++;
      }
    };
    const started = Date.now();
    const workers = Array.from({ length: 8 }, worker);
    await until(
      async () => byPhase.before >= 300,
      () => 'load did not start',
      30_000,
    );
    phase = 'down';
    await stopChild(redis);
    expect(await redisUp()).toBe(false);
    await until(
      async () => byPhase.down >= 300,
      () => 'load stalled while Redis was down',
      30_000,
    );
    redis = startRedis();
    await until(redisUp, () => `redis-server did not restart:\n${redis?.output()}`);
    phase = 'back';
    await until(
      async () => byPhase.back >= 300,
      () => 'load stalled after Redis came back',
      30_000,
    );
    running = false;
    await Promise.all(workers);
    const seconds = (Date.now() - started) / 1000;
    const total = [...outcomes.values()].reduce((sum, count) => sum + count, 0);
    const failed = total - (outcomes.get(200) ?? 0);
    console.log(
      `Redis stopped mid-run: ${total} requests in ${seconds.toFixed(1)} s through HAProxy (${byPhase.before} before, ${byPhase.down} while Redis was down, ${byPhase.back} after), ${failed} failed, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`,
    );
    expect(failed).toBe(0);
  }, 120_000);
});
