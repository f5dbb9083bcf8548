/**
 * `npm run bench:demand`: does demand control keep the database healthy under a flood, and a cheap client fast?
 *
 * Starts the supergraph as real processes on MySQL (DATABASE_URL, default mysql://root@127.0.0.1:3306,
 * databases `bench_*`, seeded small on first use), then for each of two router configurations, protection on
 * (the defaults: cost limit 1000, budgets of 2000 points restoring 100/s per client) and off (limits in measure
 * mode, no budget), runs three phases: a cheap client alone (idle), then many attacking clients (each with a
 * listed API key of its own, as distinct clients would have: the router is started with their SHA-256 in
 * `API_KEYS`, and refuses an invented key) flooding heavy operations while the cheap client goes on. It reports SQL statements per
 * second at the server (its `Questions` counter), the cheap client's p50/p95, and what the attackers got.
 * It also measures the cost analysis itself: microseconds per operation, uncached and cached.
 *
 *   npm run bench:demand -- [--seconds 15] [--attackers 20]
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { parse } from 'graphql';
import mysql from 'mysql2/promise';
import { Agent, request } from 'undici';
import { CostEstimator, CostModel, prepareSupergraph } from '../router';
import { parseMysqlUrl, projectPath } from '../shared';
import { seed } from './lib/seed';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const SECONDS = option('seconds', 15);
const ATTACKERS = option('attackers', 20);
const DATABASE_URL = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306';
const PREFIX = 'bench_';

const CHEAP = '{ product(id: "7") { name price { amount currency } stock } }';
/** The cheap client's pace: 20 requests a second (cost 2 each: 40 of its 100 points a second). */
const CHEAP_INTERVAL_MS = 50;
/** Heavy but under the cost limit (a 100-product substring search with categories: cost 311). */
const HEAVY = '{ products(first: 100, filter: { search: "e" }) { edges { node { id name category { name } } } } }';

/** The bench's clients' API keys (fresh each run), by name: the router lists them, hashed, in `API_KEYS`. */
const API_KEYS = new Map(
  ['cheap', ...Array.from({ length: ATTACKERS }, (_, i) => `attacker-${i}`)].map((name) => [name, randomBytes(24).toString('hex')]),
);
const API_KEYS_VARIABLE = [...API_KEYS].map(([name, key]) => `${name}:${createHash('sha256').update(key).digest('hex')}`).join(',');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300 && child.exitCode === null; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not ready: ${url}`);
}

interface Stack {
  url: string;
  stop(): Promise<void>;
}

async function startStack(routerEnv: Record<string, string>): Promise<Stack> {
  const ports = {
    account: await freePort(),
    product: await freePort(),
    order: await freePort(),
    router: await freePort(),
    admin: await freePort(),
  };
  // Production mode, as deployed: no stack traces in refusals, secrets of production strength.
  const secret = 'bench-only-secret-of-production-strength-0123456789';
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    JWT_SECRET: secret,
    INTERNAL_API_TOKEN: secret,
    SUBGRAPH_SECRET: secret,
    ACCOUNT_SUBGRAPH_SECRET: secret,
    PRODUCT_SUBGRAPH_SECRET: secret,
    ORDER_SUBGRAPH_SECRET: secret,
    DATABASE_URL,
    DATABASE_NAME_PREFIX: PREFIX,
    ACCOUNT_PORT: String(ports.account),
    PRODUCT_PORT: String(ports.product),
    ORDER_PORT: String(ports.order),
    ROUTER_PORT: String(ports.router),
    ROUTER_ADMIN_PORT: String(ports.admin),
    ACCOUNT_URL: `http://127.0.0.1:${ports.account}/graphql`,
    PRODUCT_URL: `http://127.0.0.1:${ports.product}/graphql`,
    ORDER_URL: `http://127.0.0.1:${ports.order}/graphql`,
    PRODUCT_INTERNAL_URL: `http://127.0.0.1:${ports.product}`,
    API_KEYS: API_KEYS_VARIABLE,
  };
  const children: ChildProcess[] = [];
  const run = (script: string, extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [projectPath('dist', script)], {
      env: { ...env, ...extra },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };
  for (const name of ['account', 'product', 'order'] as const) {
    await waitFor(`http://127.0.0.1:${ports[name]}/health/ready`, run(`subgraphs/${name}/main.js`));
  }
  await waitFor(`http://127.0.0.1:${ports.admin}/health/ready`, run('router/main.js', routerEnv));
  return {
    url: `http://127.0.0.1:${ports.router}/graphql`,
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise((resolve) => {
              child.once('exit', resolve);
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

interface ClientResult {
  latencies: number[];
  statuses: Record<number, number>;
}

/**
 * A closed-loop client: one request at a time until `until`, as fast as answers come, or one every
 * `intervalMs` (the cheap client: a real app's pace, well inside its own budget).
 */
async function client(
  agent: Agent,
  url: string,
  query: string,
  headers: Record<string, string>,
  until: number,
  intervalMs = 0,
): Promise<ClientResult> {
  const result: ClientResult = { latencies: [], statuses: {} };
  const body = JSON.stringify({ query });
  while (Date.now() < until) {
    const started = performance.now();
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    await response.body.text();
    result.latencies.push(performance.now() - started);
    result.statuses[response.statusCode] = (result.statuses[response.statusCode] ?? 0) + 1;
    // A refused client backs off as a well-behaved one would; a hostile one would not, and costs nothing here.
    if (response.statusCode === 429) await new Promise((resolve) => setTimeout(resolve, 50));
    const wait = intervalMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return result;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function questions(connection: mysql.Connection): Promise<number> {
  const [rows] = await connection.query("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number((rows as { Value: string }[])[0].Value);
}

async function phase(label: string, stack: Stack, attackers: number, connection: mysql.Connection) {
  const agent = new Agent({ connections: attackers + 4 });
  const until = Date.now() + SECONDS * 1000;
  const before = await questions(connection);
  const progress = setInterval(
    () => process.stderr.write(`\r${label}: ${Math.max(0, Math.ceil((until - Date.now()) / 1000))} s left   `),
    1000,
  );
  const [cheap, ...attacks] = await Promise.all([
    client(agent, stack.url, CHEAP, { 'x-api-key': API_KEYS.get('cheap') ?? '' }, until, CHEAP_INTERVAL_MS),
    ...Array.from({ length: attackers }, (_, i) =>
      client(agent, stack.url, HEAVY, { 'x-api-key': API_KEYS.get(`attacker-${i}`) ?? '' }, until),
    ),
  ]);
  clearInterval(progress);
  process.stderr.write('\r');
  const statements = (await questions(connection)) - before - 1;
  await agent.close();
  const attackStatuses: Record<number, number> = {};
  for (const attack of attacks)
    for (const [status, count] of Object.entries(attack.statuses))
      attackStatuses[Number(status)] = (attackStatuses[Number(status)] ?? 0) + count;
  return {
    phase: label,
    sqlStatementsPerSecond: Math.round(statements / SECONDS),
    cheapP50Ms: Number(percentile(cheap.latencies, 50).toFixed(2)),
    cheapP95Ms: Number(percentile(cheap.latencies, 95).toFixed(2)),
    cheapRequests: cheap.latencies.length,
    attackerResponses: attackStatuses,
  };
}

function costAnalysisOverhead() {
  const sdl = fs.readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8');
  const prepared = prepareSupergraph(sdl);
  const { ApolloGateway } = require('@apollo/gateway') as typeof import('@apollo/gateway');
  const gateway = new ApolloGateway({ supergraphSdl: prepared.gatewaySdl });
  return gateway.load().then(({ schema }) => {
    const estimator = new CostEstimator(new CostModel(prepared.document), schema, { defaultListSize: 10 });
    const document = parse(
      'query($id: ID!, $first: Int!) { user(id: $id) { name orders(first: $first) { edges { node { total { amount currency } items { quantity product { name price { amount currency } } } } } } } }',
    );
    const runs = 20_000;
    let started = performance.now();
    for (let i = 0; i < runs; i++) estimator.analyze(document, undefined, { id: '1', first: 20 });
    const uncachedUs = ((performance.now() - started) * 1000) / runs;
    // What a cache hit costs the plugin: building the key from the relevant variables and a Map lookup.
    const cache = new Map([['k\u0000[20]', 1]]);
    started = performance.now();
    for (let i = 0; i < runs * 10; i++) cache.get(`k\u0000${JSON.stringify([20])}`);
    const cachedUs = ((performance.now() - started) * 1000) / (runs * 10);
    return gateway
      .stop()
      .then(() => ({ uncachedMicroseconds: Number(uncachedUs.toFixed(1)), cachedMicroseconds: Number(cachedUs.toFixed(2)) }));
  });
}

async function main(): Promise<void> {
  const overhead = await costAnalysisOverhead();
  process.stderr.write(`cost analysis: ${overhead.uncachedMicroseconds} µs uncached, ${overhead.cachedMicroseconds} µs cached\n`);
  const server = parseMysqlUrl(DATABASE_URL, 'DATABASE_URL', 'mysql');
  const connection = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
  const targets = {
    account: parseMysqlUrl(DATABASE_URL, 'DATABASE_URL', `${PREFIX}account`),
    product: parseMysqlUrl(DATABASE_URL, 'DATABASE_URL', `${PREFIX}product`),
    order: parseMysqlUrl(DATABASE_URL, 'DATABASE_URL', `${PREFIX}orders`),
  };
  const [existing] = await connection.query(`SHOW DATABASES LIKE '${PREFIX}product'`);
  if ((existing as unknown[]).length === 0) {
    process.stderr.write('seeding the bench databases (small)…\n');
    await seed(targets, { scale: 'small' });
  }
  const results = [];
  for (const [protection, env] of [
    ['on', {}],
    ['off', { MAX_OPERATION_COST_MODE: 'measure', MAX_DEPTH_MODE: 'measure', BUDGET_MODE: 'off' }],
  ] as const) {
    const stack = await startStack(env);
    try {
      results.push({ protection, ...(await phase(`protection ${protection}, idle`, stack, 0, connection)) });
      results.push({ protection, ...(await phase(`protection ${protection}, ${ATTACKERS} attackers`, stack, ATTACKERS, connection)) });
    } finally {
      await stack.stop();
    }
  }
  await connection.end();
  // The ceiling the budgets imply: each attacker restores 100 points/s and starts with 2000; a heavy operation
  // costs 311 and makes 2 statements (products, their categories); the cheap client makes 1 statement 20 times
  // a second.
  const ceiling = Math.round((ATTACKERS * 100 * 2) / 311 + (ATTACKERS * Math.floor(2000 / 311) * 2) / SECONDS + 20);
  console.log(
    JSON.stringify(
      { seconds: SECONDS, attackers: ATTACKERS, costAnalysis: overhead, budgetCeilingStatementsPerSecond: ceiling, results },
      null,
      2,
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
