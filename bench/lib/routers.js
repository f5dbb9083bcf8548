/**
 * The four routers under test (ours, stock @apollo/gateway, Hive Gateway, the floor): started pinned to core 1
 * with their subgraphs at a given URL, and the identity headers each expects from a client.
 */
const fs = require('node:fs');
const path = require('node:path');
const { BENCH_DIR, baseEnv, databaseEnv, fromRoot, PORTS, productionEnv, ROOT, SECRET, TMP } = require('./config');
const { getText, post } = require('./http');
const proc = require('./proc');
const { refusalsIn } = require('./refusals');

/** The supergraph the stock and Hive gateways load: without the security links, with this run's subgraph URLs. */
function writeGatewaySupergraph(label, urlOf) {
  const { prepareSupergraph } = fromRoot('router');
  const sdl = fs.readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8');
  const gatewaySdl = prepareSupergraph(sdl).gatewaySdl.replace(
    /@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g,
    (_all, name) => `@join__graph(name: "${name}", url: "${urlOf(name)}")`,
  );
  const file = path.join(TMP, `supergraph-${label}.graphql`);
  fs.writeFileSync(file, gatewaySdl);
  return file;
}

/**
 * Our router's client budgets: enforced in process, as by default, but with a bucket no run can empty. A
 * one-address load generator is one client, which the default (2,000 points, 100 a second) would throttle within
 * a second; an operation costs at most MAX_OPERATION_COST (1,000) points, so 10^9 points restored every second
 * outlast a million operations a second. Every run checks that ours refused nothing (`refusalCounts`).
 */
const BENCH_BUDGET = { capacity: 1_000_000_000, restorePerSecond: 1_000_000_000 };

/** `BENCH_OURS_ENV="ROUTER_DEDUPLICATE_QUERIES=false …"`: settings to compare (before/after an optimization). */
function oursExtraEnv() {
  return Object.fromEntries(
    (process.env.BENCH_OURS_ENV ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** Starts `router` with its subgraphs at `urlOf(name)`, pinned to core 1; resolves when it answers GraphQL. */
async function startRouter(router, urlOf, label, options, floorPlanFile) {
  const logFile = path.join(TMP, `${router}-${label}.log`);
  const cores = '1';
  let entry;
  let url;
  if (router === 'ours') {
    // As in production, with everything it does by default (authentication, authorization, cost analysis, budgets,
    // metrics, usage recording, one info log line per request; tracing is off without an OTLP endpoint): only the
    // ports, secrets, subgraph URLs and the budget's size are set.
    const env = productionEnv({
      ...databaseEnv(options),
      ROUTER_PORT: String(PORTS.ours),
      ROUTER_ADMIN_PORT: String(PORTS.oursAdmin),
      SUPERGRAPH_PATH: path.join(ROOT, 'schema', 'supergraph.graphql'),
      JWT_SECRET: SECRET,
      ACCOUNT_SUBGRAPH_SECRET: SECRET,
      PRODUCT_SUBGRAPH_SECRET: SECRET,
      ORDER_SUBGRAPH_SECRET: SECRET,
      ACCOUNT_URL: urlOf('account'),
      PRODUCT_URL: urlOf('product'),
      ORDER_URL: urlOf('order'),
      BUDGET_CAPACITY: String(BENCH_BUDGET.capacity),
      BUDGET_RESTORE_RATE: String(BENCH_BUDGET.restorePerSecond),
      ...oursExtraEnv(),
    });
    // The node flags the router runs with in production (router/nodeFlags.ts), then BENCH_OURS_NODE_ARGS, e.g.
    // `--cpu-prof --cpu-prof-dir=/tmp/prof` (profiling) or another `--max-semi-space-size` (a later flag wins).
    const nodeArgs = [
      ...fromRoot('router', 'nodeFlags').ROUTER_NODE_FLAGS,
      ...(process.env.BENCH_OURS_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ];
    entry = proc.start('ours', [process.execPath, ...nodeArgs, path.join(ROOT, 'dist', 'router', 'main.js')], {
      env,
      cwd: ROOT,
      cores,
      logFile,
    });
    url = `http://127.0.0.1:${PORTS.ours}/graphql`;
  } else if (router === 'stock') {
    const env = baseEnv({
      BENCH_SUPERGRAPH: writeGatewaySupergraph(label, urlOf),
      BENCH_PORT: String(PORTS.stock),
      BENCH_SUBGRAPH_SECRET: SECRET,
    });
    entry = proc.start('stock', [process.execPath, path.join(BENCH_DIR, 'routers', 'stock.js')], { env, cwd: BENCH_DIR, cores, logFile });
    url = `http://127.0.0.1:${PORTS.stock}/graphql`;
  } else if (router === 'hive') {
    const env = baseEnv({ BENCH_SUBGRAPH_SECRET: SECRET });
    const bin = path.join(path.dirname(require.resolve('@graphql-hive/gateway/package.json', { paths: [BENCH_DIR] })), 'dist', 'bin.js');
    entry = proc.start(
      'hive',
      [
        process.execPath,
        bin,
        'supergraph',
        writeGatewaySupergraph(label, urlOf),
        '--config-path',
        path.join(BENCH_DIR, 'routers', 'hive.config.cjs'),
        '--fork',
        '1',
        '--host',
        '127.0.0.1',
        '--port',
        String(PORTS.hive),
      ],
      { env, cwd: BENCH_DIR, cores, logFile },
    );
    url = `http://127.0.0.1:${PORTS.hive}/graphql`;
  } else if (router === 'floor') {
    const env = baseEnv({ BENCH_FLOOR_PLAN: floorPlanFile, BENCH_PORT: String(PORTS.floor) });
    entry = proc.start('floor', [process.execPath, path.join(BENCH_DIR, 'routers', 'floor.js')], { env, cwd: BENCH_DIR, cores, logFile });
    url = `http://127.0.0.1:${PORTS.floor}/graphql`;
  } else {
    throw new Error(`unknown router ${router}`);
  }
  await proc.waitUntil(entry, 'answering GraphQL', async () => {
    const response = await post(url, JSON.stringify({ query: '{ __typename }' }));
    return response.status < 500;
  });
  return { name: router, entry, url, pid: entry.pid };
}

const signedTokens = new Map();

/**
 * Identity: our router verifies a bearer token; stock, Hive and the floor read the identity headers the client
 * sends (stock and Hive forward them to the subgraphs; the floor finds its recording by them).
 */
async function identityHeaders(router, user) {
  if (!user) return {};
  if (router !== 'ours') return { 'x-user-id': user };
  if (!signedTokens.has(user)) {
    const { readRouterConfig, signDevelopmentToken } = fromRoot('router');
    const auth = readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).auth;
    signedTokens.set(user, await signDevelopmentToken(auth, { userId: user, ttlSeconds: 24 * 3600 }));
  }
  return { authorization: `Bearer ${signedTokens.get(user)}` };
}

/** What our router refused so far (`lib/refusals.js`), from its `/metrics`; null for the others (they refuse nothing). */
async function refusalCounts(router) {
  if (router.name !== 'ours') return null;
  return refusalsIn(await getText(`http://127.0.0.1:${PORTS.oursAdmin}/metrics`));
}

module.exports = { startRouter, identityHeaders, refusalCounts, writeGatewaySupergraph };
