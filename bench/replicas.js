/**
 * `npm run bench -- --replicas`: read replicas off and on, on the same data and the same load (issue 16). See
 * README.md ("Read replicas").
 *
 *   npm run bench -- --replicas [--quick] [--scale large|small] [--duration 20] [--rounds 3] [--warmup 5]
 *                    [--connections 32] [--writes 10] [--no-build] [--reseed] [--out results]
 *
 * A read-heavy mix with writes, as a shop sees it: product detail over many products and the product listing
 * (anonymous), "my orders" for signed-in users, and checkouts by those same users (so read-your-writes has work
 * to do). It runs against our router with the subgraphs on one primary (replicas off) and on the same primary with
 * its replicas (on), interleaved round after round, and reports throughput, latency percentiles, SQL statements
 * per server (from the subgraphs' own `db_statements_total{server}`) and where replica-eligible reads went.
 *
 * The servers: BENCH_DATABASE_URL (the primary, default the pair of `npm run replica -- start`,
 * mysql://root@127.0.0.1:3326) and BENCH_REPLICA_URLS (default mysql://root@127.0.0.1:3327).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { request } = require('undici');
const { gitCommit, run: runIn } = require('./lib/build');
const { agent, median, metricByLabel, mysqlConnection, parseMixOptions, percentile, runMix, writeMixResults } = require('./lib/mix');
const proc = require('./lib/proc');

const ROOT = path.resolve(__dirname, '..');
const TMP = path.join(__dirname, '.tmp');
const SUBGRAPHS = ['account', 'product', 'order'];
/** Two stacks side by side, one per mode; every port in 5200–5299. */
const PORTS = {
  off: { account: 5201, product: 5202, order: 5203, router: 5204, admin: 5205 },
  on: { account: 5211, product: 5212, order: 5213, router: 5214, admin: 5215 },
};
const SECRET = 'bench-only-secret-of-production-strength-0123456789';
const SCALES = { small: { users: 50, products: 200 }, large: { users: 10_000, products: 100_000 } };
/** Requests in one cycle of the mix; `--writes` of every 100 are checkouts, the rest reads. */
const CYCLE = 100;

const log = (line) => process.stderr.write(`[bench] ${line}\n`);

function parseOptions(argv) {
  return parseMixOptions(argv, {
    mode: '--replicas',
    usageFile: __filename,
    usageLines: 6,
    defaults: { scale: 'large', writes: 10, quick: { duration: 3, rounds: 1, warmup: 1 }, full: { duration: 20, rounds: 3, warmup: 5 } },
    extra: (flag, value, number, options) => {
      if (flag === '--scale') {
        options.scale = value();
        if (!SCALES[options.scale]) throw new Error(`--scale must be large or small, got '${options.scale}'`);
      } else if (flag === '--writes') options.writes = number(0, 100);
      else return false;
      return true;
    },
  });
}

const run = (command, args, env = process.env) => runIn(command, args, ROOT, env);

const primaryUrl = () => process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3326';
const replicaUrls = () => process.env.BENCH_REPLICA_URLS ?? 'mysql://root@127.0.0.1:3327';
const prefixOf = (options) => `bench_replicas_${options.scale}_`;

function baseEnv(extra) {
  return { PATH: process.env.PATH, HOME: process.env.HOME ?? os.homedir(), NODE_ENV: 'production', LOG_LEVEL: 'warn', ...extra };
}

/** Seeds the chosen scale into the primary once (the replicas get it by replication), and waits until they have it. */
async function ensureSeeded(options) {
  const prefix = prefixOf(options);
  let seeded = false;
  try {
    const connection = await mysqlConnection(primaryUrl(), `${prefix}product`);
    try {
      const [[row]] = await connection.query('SELECT COUNT(*) AS n FROM product');
      seeded = Number(row.n) === SCALES[options.scale].products;
    } finally {
      await connection.end();
    }
  } catch {
    // not there yet
  }
  if (!seeded || options.reseed) {
    log(`seeding the ${options.scale} data set into ${prefix}* on the primary`);
    run(
      process.execPath,
      [path.join(ROOT, 'dist', 'scripts', 'seed.js'), '--scale', options.scale],
      baseEnv({ DATABASE_URL: primaryUrl(), DATABASE_NAME_PREFIX: prefix }),
    );
  }
  const primary = await mysqlConnection(primaryUrl());
  let position;
  try {
    [[{ Value: position }]] = await primary.query("SHOW GLOBAL VARIABLES LIKE 'gtid_binlog_pos'");
  } finally {
    await primary.end();
  }
  for (const url of replicaUrls().split(',')) {
    log(`waiting for ${url.replace(/:[^:@/]*@/, ':***@')} to apply the seed`);
    const replica = await mysqlConnection(url.trim());
    try {
      const [[row]] = await replica.query('SELECT MASTER_GTID_WAIT(?, 600) AS waited', [position]);
      if (Number(row.waited) !== 0) throw new Error(`the replica ${url} did not catch up within 10 minutes`);
    } finally {
      await replica.end();
    }
  }
}

/** Users who have orders (their "my orders" is not empty), and the products checkouts buy (the catalog's last 64). */
async function workloadData(options) {
  const connection = await mysqlConnection(primaryUrl(), `${prefixOf(options)}orders`);
  try {
    const [rows] = await connection.query('SELECT user_id FROM orders GROUP BY user_id HAVING COUNT(*) >= 3 ORDER BY user_id LIMIT 64');
    const products = SCALES[options.scale].products;
    return {
      users: rows.map((row) => String(row.user_id)),
      detailProducts: Array.from({ length: 256 }, (_, i) => String(1 + ((i * 37) % (products - 64)))),
      checkoutProducts: Array.from({ length: 64 }, (_, i) => String(products - 63 + i)),
    };
  } finally {
    await connection.end();
  }
}

async function post(url, body, headers = {}) {
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.statusCode, text: await response.body.text() };
}

async function startStack(mode, options) {
  const ports = PORTS[mode];
  const databaseEnv = {
    DATABASE_URL: primaryUrl(),
    DATABASE_NAME_PREFIX: prefixOf(options),
    ...(mode === 'on' ? { DATABASE_REPLICA_URLS: replicaUrls() } : {}),
    ...(mode === 'on' && process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
  };
  const portsEnv = {
    ACCOUNT_PORT: String(ports.account),
    PRODUCT_PORT: String(ports.product),
    ORDER_PORT: String(ports.order),
    PRODUCT_INTERNAL_URL: `http://127.0.0.1:${ports.product}`,
  };
  const entries = {};
  for (const name of SUBGRAPHS) {
    entries[name] = proc.start(`${name}-${mode}`, [process.execPath, path.join(ROOT, 'dist', 'subgraphs', name, 'main.js')], {
      env: baseEnv({ ...databaseEnv, ...portsEnv, SUBGRAPH_SECRET: SECRET, INTERNAL_API_TOKEN: SECRET }),
      cwd: ROOT,
      logFile: path.join(TMP, `replicas-${name}-${mode}.log`),
    });
    await proc.waitUntil(
      entries[name],
      'health/ready',
      async () => (await request(`http://127.0.0.1:${ports[name]}/health/ready`, { dispatcher: agent })).statusCode === 200,
    );
  }
  entries.router = proc.start(`router-${mode}`, [process.execPath, path.join(ROOT, 'dist', 'router', 'main.js')], {
    env: baseEnv({
      ROUTER_PORT: String(ports.router),
      ROUTER_ADMIN_PORT: String(ports.admin),
      SUPERGRAPH_PATH: path.join(ROOT, 'schema', 'supergraph.graphql'),
      JWT_SECRET: SECRET,
      ACCOUNT_SUBGRAPH_SECRET: SECRET,
      PRODUCT_SUBGRAPH_SECRET: SECRET,
      ORDER_SUBGRAPH_SECRET: SECRET,
      ACCOUNT_URL: `http://127.0.0.1:${ports.account}/graphql`,
      PRODUCT_URL: `http://127.0.0.1:${ports.product}/graphql`,
      ORDER_URL: `http://127.0.0.1:${ports.order}/graphql`,
      // One load generator is one client: a client budget would refuse it within a second.
      BUDGET_MODE: 'off',
      USAGE_RECORDING: 'false',
    }),
    cwd: ROOT,
    cores: '1',
    logFile: path.join(TMP, `replicas-router-${mode}.log`),
  });
  const url = `http://127.0.0.1:${ports.router}/graphql`;
  await proc.waitUntil(
    entries.router,
    'answering GraphQL',
    async () => (await post(url, JSON.stringify({ query: '{ __typename }' }))).status < 500,
  );
  return { mode, ports, entries, url };
}

/** Tops up the stock of the products checkouts buy, through the product subgraph (so they never run out). */
async function topUpStock(stack, products) {
  const headers = { 'x-router-credential': SECRET, 'x-user-id': '1', 'x-user-scopes': 'catalog:write' };
  const mutation = `mutation { ${products.map((id) => `a${id}: adjustStock(productId: "${id}", delta: 1000000) { stock }`).join(' ')} }`;
  const written = await post(`http://127.0.0.1:${stack.ports.product}/graphql`, JSON.stringify({ query: mutation }), headers);
  if (written.status !== 200 || JSON.parse(written.text).errors) throw new Error(`could not top up stock: ${written.text.slice(0, 300)}`);
}

const QUERIES = {
  productDetail:
    'query ProductDetail($id: ID!) { product(id: $id) { id sku name description price { amount currency } stock inStock category { id name } } }',
  productList:
    'query ProductList { products(first: 20) { edges { node { id name price { amount currency } inStock category { name } } } } }',
  myOrders:
    'query MyOrders { me { id name orders(first: 10) { edges { node { id status total { amount currency } items { quantity product { id name } } } } } } }',
  checkout: 'mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total { amount } } }',
};

/** The requests of one cycle of the mix, in order: kind, body, and whose token (null: anonymous). */
async function workload(options, data) {
  const { signDevelopmentToken } = require(path.join(ROOT, 'dist', 'router'));
  const { readRouterConfig } = require(path.join(ROOT, 'dist', 'router'));
  const auth = readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, BUDGET_MODE: 'off' }).auth;
  const tokens = new Map();
  for (const user of data.users) tokens.set(user, `Bearer ${await signDevelopmentToken(auth, { userId: user, ttlSeconds: 24 * 3600 })}`);
  const requests = [];
  for (let i = 0; i < CYCLE; i++) {
    const user = data.users[i % data.users.length];
    // Writes spread evenly over the cycle; of the reads, 4 in 10 product detail, 2 the listing, 4 "my orders".
    const isWrite = options.writes > 0 && Math.floor(((i + 1) * options.writes) / CYCLE) > Math.floor((i * options.writes) / CYCLE);
    const readIndex = i - Math.floor((i * options.writes) / CYCLE);
    if (isWrite) {
      const product = data.checkoutProducts[i % data.checkoutProducts.length];
      requests.push({
        kind: 'checkout',
        body: JSON.stringify({ query: QUERIES.checkout, variables: { input: { items: [{ productId: product, quantity: 1 }] } } }),
        authorization: tokens.get(user),
      });
    } else if (readIndex % 10 < 4) {
      requests.push({
        kind: 'productDetail',
        body: JSON.stringify({ query: QUERIES.productDetail, variables: { id: data.detailProducts[i % data.detailProducts.length] } }),
        authorization: null,
      });
    } else if (readIndex % 10 < 6) {
      requests.push({ kind: 'productList', body: JSON.stringify({ query: QUERIES.productList }), authorization: null });
    } else {
      requests.push({ kind: 'myOrders', body: JSON.stringify({ query: QUERIES.myOrders }), authorization: tokens.get(user) });
    }
  }
  return requests;
}

/** Per-server statements, reads and read fallbacks, summed over the stack's three subgraphs. */
async function databaseCounters(stack) {
  const sum = async (name, label) => {
    const total = {};
    for (const subgraph of SUBGRAPHS) {
      const counts = await metricByLabel(`http://127.0.0.1:${stack.ports[subgraph]}/metrics`, name, label);
      for (const [key, value] of Object.entries(counts)) total[key] = (total[key] ?? 0) + value;
    }
    return total;
  };
  return {
    statements: await sum('db_statements_total', 'server'),
    reads: await sum('db_reads_total', 'server'),
    fallbacks: await sum('db_read_fallbacks_total', 'reason'),
    lagSeconds: await sum('db_replica_lag_seconds', 'server'),
  };
}

function difference(after, before) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, value]) => [key, value - (before[key] ?? 0)])
      .filter(([, value]) => value !== 0),
  );
}

/** One closed-loop run of the mix on `stack`; every response must be a 2xx without `errors`. */
async function measure(stack, requests, seconds, connections, label) {
  const before = await databaseCounters(stack);
  const { ok, elapsed, latencies, problems } = await runMix({
    url: stack.url,
    requests: requests.map((r) => ({ body: r.body, headers: r.authorization ? { authorization: r.authorization } : null })),
    seconds,
    connections,
    start: 0,
  });
  const after = await databaseCounters(stack);
  const statements = difference(after.statements, before.statements);
  const measured = {
    mode: stack.mode,
    requests: ok,
    seconds: Number(elapsed.toFixed(2)),
    rps: ok / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    statementsPerRequestByServer: Object.fromEntries(Object.entries(statements).map(([server, n]) => [server, ok ? n / ok : null])),
    readsByServer: difference(after.reads, before.reads),
    readFallbacks: difference(after.fallbacks, before.fallbacks),
    replicaLagSecondsAtEnd: after.lagSeconds,
    loadAverage: os.loadavg()[0],
    valid: problems.length === 0,
    problems,
  };
  log(
    `${label}: ${measured.rps.toFixed(0)} req/s, p50 ${measured.p50?.toFixed(1)} ms, p95 ${measured.p95?.toFixed(1)} ms, ` +
      `SQL/req by server ${JSON.stringify(Object.fromEntries(Object.entries(measured.statementsPerRequestByServer).map(([s, n]) => [s, Number(n?.toFixed(2))])))}, ` +
      `reads by server ${JSON.stringify(measured.readsByServer)}${measured.valid ? '' : ` INVALID: ${problems.join('; ')}`}`,
  );
  return measured;
}

function markdown(result) {
  const lines = [
    `# Read replicas off and on: ${result.meta.date} ${result.meta.commit}${result.meta.quick ? ' (quick)' : ''}`,
    '',
    `${result.meta.scale} seed; mix per ${CYCLE} requests: ${100 - result.meta.writesPerHundred} reads (product detail 40%, listing 20%, my orders 40%) and ${result.meta.writesPerHundred} checkouts; ` +
      `${result.meta.connections} connections, ${result.meta.rounds} round(s) of ${result.meta.durationSeconds} s per mode; ${result.meta.cores} cores, load average ${result.meta.loadAverage.toFixed(1)} at the end.`,
    '',
    '| replicas | valid runs | req/s (median) | p50 ms | p95 ms | p99 ms | SQL/req on the primary | SQL/req on replicas |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const mode of ['off', 'on']) {
    const s = result.summary[mode];
    const fixed = (value, digits) => (value === null ? '–' : value.toFixed(digits));
    lines.push(
      `| ${mode} | ${s.validRuns}/${s.runs} | ${fixed(s.rps, 0)} | ${fixed(s.p50, 1)} | ${fixed(s.p95, 1)} | ${fixed(s.p99, 1)} | ${fixed(s.primarySqlPerRequest, 2)} | ${fixed(s.replicaSqlPerRequest, 2)} |`,
    );
  }
  lines.push(
    '',
    'Where replica-eligible reads went (replicas on, all runs):',
    '',
    '```',
    JSON.stringify(result.summary.on.reads, null, 2),
    '```',
    '',
  );
  return `${lines.join('\n')}\n`;
}

async function runReplicaBench(argv) {
  const options = parseOptions(argv);
  fs.mkdirSync(TMP, { recursive: true });
  fs.mkdirSync(options.out, { recursive: true });
  const startedAt = Date.now();
  if (options.build) {
    log('building the root project (npm run build)');
    run('npm', ['run', 'build', '--silent']);
  }
  await ensureSeeded(options);
  const data = await workloadData(options);
  if (data.users.length === 0) throw new Error('the seed has no user with 3 orders or more');
  const requests = await workload(options, data);
  log(`starting two stacks: replicas off (ports 5201-5205) and on (5211-5215, replicas ${replicaUrls().replace(/:[^:@/]*@/g, ':***@')})`);
  const stacks = { off: await startStack('off', options), on: await startStack('on', options) };
  const runs = [];
  try {
    await topUpStock(stacks.off, data.checkoutProducts);
    const pinned = proc.pinSelf('0');
    log(`load generator ${pinned ? 'pinned to core 0, routers to core 1' : 'not pinned'}`);
    for (const mode of ['off', 'on']) {
      if (options.warmup > 0) await measure(stacks[mode], requests, options.warmup, options.connections, `warm-up, replicas ${mode}`);
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const mode of ['off', 'on']) {
        const measured = await measure(
          stacks[mode],
          requests,
          options.duration,
          options.connections,
          `round ${round}/${options.rounds}, replicas ${mode}`,
        );
        runs.push({ round, ...measured });
      }
    }
  } finally {
    for (const stack of Object.values(stacks)) for (const entry of Object.values(stack.entries).reverse()) await proc.stop(entry);
  }
  const summary = {};
  for (const mode of ['off', 'on']) {
    const mine = runs.filter((r) => r.mode === mode);
    const valid = mine.filter((r) => r.valid);
    const reads = {};
    for (const r of mine) for (const [server, n] of Object.entries(r.readsByServer)) reads[server] = (reads[server] ?? 0) + n;
    const replicaSql = (r) =>
      Object.entries(r.statementsPerRequestByServer)
        .filter(([s]) => s !== 'primary')
        .reduce((sum, [, n]) => sum + (n ?? 0), 0);
    summary[mode] = {
      runs: mine.length,
      validRuns: valid.length,
      rps: median(valid.map((r) => r.rps)),
      p50: median(valid.map((r) => r.p50)),
      p95: median(valid.map((r) => r.p95)),
      p99: median(valid.map((r) => r.p99)),
      primarySqlPerRequest: median(valid.map((r) => r.statementsPerRequestByServer.primary ?? 0)),
      replicaSqlPerRequest: median(valid.map(replicaSql)),
      reads,
    };
  }
  const commit = gitCommit();
  const date = new Date().toISOString().slice(0, 10);
  const result = {
    meta: {
      date,
      commit,
      quick: options.quick,
      scale: options.scale,
      writesPerHundred: options.writes,
      connections: options.connections,
      durationSeconds: options.duration,
      rounds: options.rounds,
      warmupSeconds: options.warmup,
      node: process.versions.node,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: proc.CORES,
      loadAverage: os.loadavg()[0],
      minutes: Number(((Date.now() - startedAt) / 60_000).toFixed(1)),
    },
    summary,
    runs,
  };
  await writeMixResults(options, 'replicas', result, markdown);
}

module.exports = { runReplicaBench };
