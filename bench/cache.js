/**
 * `npm run bench -- --cache`: the entity cache off, in process and in Redis, and the stock gateway, on the same
 * catalog mix (issue 17 item 6). See README.md ("Entity cache").
 *
 *   npm run bench -- --cache [--quick] [--scale large|small] [--duration 20] [--rounds 3] [--warmup 5]
 *                    [--connections 32] [--writes 5] [--note "machine state"] [--no-build] [--reseed] [--out results]
 *
 * The mix: product detail (3 in 4 reads) and catalog pages of 20 (1 in 4) over the seed's products, each drawn
 * from a Zipf distribution of exponent 1.0 (products by popularity rank; pages over the first 500), and `--writes`
 * of every 100 requests are writes: price changes (`updateProduct`, a token with `catalog:write`) and orders
 * (`placeOrder`, signed-in users), alternately, on products drawn from the same distribution. One set of subgraphs
 * (on BENCH_DATABASE_URL, publishing their changes on BENCH_CACHE_REDIS_URL) serves four routers: ours with
 * `ENTITY_CACHE=off`, `memory` and `redis` (CACHE_REDIS_URL = BENCH_CACHE_REDIS_URL), and stock @apollo/gateway.
 * Each is measured in turn, round after round, so the SQL the subgraphs send during a run is that router's: from
 * their own `db_statements_total`. Then each runs once more at one fixed request rate (80 % of the slowest's
 * median), so SQL/s compares at the same rate. Hit ratio: the router's `entity_cache_hits_total` and
 * `entity_cache_misses_total` (all subgraphs and types).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { request } = require('undici');
const { gitCommit, run: runIn } = require('./lib/build');
const { baseEnv } = require('./lib/config');
const { agent, median, metricByLabel, mysqlConnection, parseMixOptions, percentile, runMix, writeMixResults } = require('./lib/mix');
const proc = require('./lib/proc');
const { writeGatewaySupergraph } = require('./lib/routers');
const { listingCursors } = require('./lib/subgraphs');
const { idealHitRatio, READ_TTL_SECONDS } = require('./lib/idealCache');

const ROOT = path.resolve(__dirname, '..');
const TMP = path.join(__dirname, '.tmp');
const SUBGRAPHS = ['account', 'product', 'order'];
/** Every port in 5300–5399. */
const PORTS = { account: 5301, product: 5302, order: 5303 };
const CONFIGS = [
  { name: 'off', title: 'ours, cache off', port: 5311, admin: 5312, cache: 'off' },
  { name: 'memory', title: 'ours, ENTITY_CACHE=memory', port: 5313, admin: 5314, cache: 'memory' },
  { name: 'redis', title: 'ours, ENTITY_CACHE=redis', port: 5315, admin: 5316, cache: 'redis' },
  { name: 'stock', title: 'stock @apollo/gateway', port: 5317, admin: null, cache: null },
];
const SECRET = 'bench-only-secret-of-production-strength-0123456789';
const SCALES = { small: { users: 50, products: 200 }, large: { users: 10_000, products: 100_000 } };
/** Catalog pages of 20 a listing draws from (the first 500: 10,000 products on the large seed). */
const LISTING_PAGES = 500;
/** Requests in the precomputed sequence every configuration replays in the same order. */
const SEQUENCE = 20_000;
const ZIPF_EXPONENT = 1.0;
/** The user who changes prices (any id: the scope is what the product subgraph checks). */
const EDITOR = '1';

const log = (line) => process.stderr.write(`[bench] ${line}\n`);

const QUERIES = {
  productDetail:
    'query ProductDetail($id: ID!) { product(id: $id) { id sku name description price { amount currency } stock inStock category { id name } } }',
  productList:
    'query ProductList($after: String) { products(first: 20, after: $after) { edges { node { id name price { amount currency } inStock category { name } } } } }',
  updatePrice: 'mutation Reprice($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id price { amount } } }',
  placeOrder: 'mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total { amount } } }',
};

function parseOptions(argv) {
  return parseMixOptions(argv, {
    mode: '--cache',
    usageFile: __filename,
    usageLines: 7,
    defaults: {
      scale: 'large',
      writes: 5,
      note: null,
      quick: { duration: 3, rounds: 1, warmup: 2 },
      full: { duration: 20, rounds: 3, warmup: 5 },
    },
    extra: (flag, value, number, options) => {
      if (flag === '--scale') {
        options.scale = value();
        if (!SCALES[options.scale]) throw new Error(`--scale must be large or small, got '${options.scale}'`);
      } else if (flag === '--writes') options.writes = number(0, 100);
      else if (flag === '--note') options.note = value();
      else return false;
      return true;
    },
  });
}

const databaseUrl = () => process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306';
const redisUrl = () => process.env.BENCH_CACHE_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefixOf = (options) => `bench_cache_${options.scale}_`;
const hidePassword = (url) => url.replace(/:[^:@/]*@/, ':***@');

const run = (command, args, env = process.env) => runIn(command, args, ROOT, env);

/** Seeds the chosen scale into `bench_cache_<scale>_*` once (or again with --reseed). */
async function ensureSeeded(options) {
  let products = null;
  try {
    const connection = await mysqlConnection(databaseUrl(), `${prefixOf(options)}product`);
    try {
      const [[row]] = await connection.query('SELECT COUNT(*) AS n FROM product');
      products = Number(row.n);
    } finally {
      await connection.end();
    }
  } catch {
    // not there yet
  }
  if (products === SCALES[options.scale].products && !options.reseed) {
    log(`${options.scale} seed already in ${prefixOf(options)}* (${products} products)`);
    return;
  }
  log(`seeding the ${options.scale} data set into ${prefixOf(options)}* on ${hidePassword(databaseUrl())}`);
  run(
    process.execPath,
    [path.join(ROOT, 'dist', 'scripts', 'seed.js'), '--scale', options.scale],
    baseEnv({ DATABASE_URL: databaseUrl(), DATABASE_NAME_PREFIX: prefixOf(options) }),
  );
}

/** Signed-in buyers: the first 64 users of the seed who have orders already. */
async function buyers(options) {
  const connection = await mysqlConnection(databaseUrl(), `${prefixOf(options)}orders`);
  try {
    const [rows] = await connection.query('SELECT DISTINCT user_id FROM orders ORDER BY user_id LIMIT 64');
    return rows.map((row) => String(row.user_id));
  } finally {
    await connection.end();
  }
}

/** The seed's PRNG (mulberry32), from a fixed seed: every run replays the same sequence. */
const random = (seed) => require(path.join(ROOT, 'dist', 'scripts', 'lib', 'seed', 'random')).mulberry32(seed);

/** Draws ranks 1..n with probability proportional to 1/rank^exponent (inverse of the cumulative weights). */
function zipf(n, exponent, next) {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 1; rank <= n; rank++) {
    total += 1 / rank ** exponent;
    cumulative[rank - 1] = total;
  }
  return () => {
    const target = next() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid] < target) low = mid + 1;
      else high = mid;
    }
    return low + 1;
  };
}

/**
 * Popularity rank → product id, spread over the catalog (7919 is prime and divides neither seed's count), so the
 * hottest products are not the first page of the listing.
 */
const productOfRank = (rank, products) => String(1 + (((rank - 1) * 7919) % products));

/** The sequence of requests every configuration replays: kind, body, and who sends it (null: anonymous). */
function workload(options, { users, cursors }) {
  const products = SCALES[options.scale].products;
  const next = random(17);
  const productRank = zipf(products, ZIPF_EXPONENT, next);
  const pageRank = zipf(cursors.length + 1, ZIPF_EXPONENT, next);
  const requests = [];
  let writes = 0;
  for (let i = 0; i < SEQUENCE; i++) {
    // Writes spread evenly: `writes` in every 100 requests.
    const isWrite = Math.floor(((i + 1) * options.writes) / 100) > Math.floor((i * options.writes) / 100);
    if (isWrite) {
      const id = productOfRank(productRank(), products);
      writes += 1;
      if (writes % 2 === 1) {
        const amount = `${10 + (writes % 90)}.99`;
        requests.push({
          kind: 'updatePrice',
          product: id,
          body: JSON.stringify({ query: QUERIES.updatePrice, variables: { id, input: { price: { amount, currency: 'USD' } } } }),
          user: EDITOR,
          scopes: ['catalog:write'],
        });
      } else {
        requests.push({
          kind: 'placeOrder',
          product: id,
          body: JSON.stringify({ query: QUERIES.placeOrder, variables: { input: { items: [{ productId: id, quantity: 1 }] } } }),
          user: users[writes % users.length],
          scopes: [],
        });
      }
    } else if (next() < 0.75) {
      const id = productOfRank(productRank(), products);
      requests.push({
        kind: 'productDetail',
        product: id,
        body: JSON.stringify({ query: QUERIES.productDetail, variables: { id } }),
        user: null,
      });
    } else {
      const page = pageRank();
      const after = page === 1 ? null : cursors[page - 2];
      requests.push({ kind: 'productList', page, body: JSON.stringify({ query: QUERIES.productList, variables: { after } }), user: null });
    }
  }
  return requests;
}

/** The ideal cache's hit ratio for runs like the measured ones (cold, `seconds` long, five starts) and in the long run. */
function idealBound(requests, { rate, seconds }) {
  const starts = [0, 1, 2, 3, 4].map((n) => Math.floor((n * requests.length) / 5));
  const perRun = starts.map((start) => idealHitRatio(requests, { rate, seconds, start }));
  const longRun = idealHitRatio(requests, { rate, seconds: Math.max(300, (2 * requests.length) / rate), start: 0 });
  return { rate, seconds, ttlSeconds: READ_TTL_SECONDS, hitRatioPerRun: median(perRun), hitRatioLongRun: longRun };
}

/** The identity headers of each request, as `config` expects them: a signed token for ours, headers for stock. */
async function headersFor(config, requests) {
  const { readRouterConfig, signDevelopmentToken } = require(path.join(ROOT, 'dist', 'router'));
  const auth = readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, BUDGET_MODE: 'off' }).auth;
  const tokens = new Map();
  const headers = [];
  for (const r of requests) {
    if (!r.user) headers.push(null);
    else if (config.cache === null) headers.push({ 'x-user-id': r.user, 'x-user-scopes': r.scopes.join(' ') });
    else {
      const key = `${r.user} ${r.scopes.join(' ')}`;
      if (!tokens.has(key))
        tokens.set(key, `Bearer ${await signDevelopmentToken(auth, { userId: r.user, scopes: r.scopes, ttlSeconds: 24 * 3600 })}`);
      headers.push({ authorization: tokens.get(key) });
    }
  }
  return headers;
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

async function startSubgraphs(options) {
  const entries = {};
  for (const name of SUBGRAPHS) {
    entries[name] = proc.start(`cache-${name}`, [process.execPath, path.join(ROOT, 'dist', 'subgraphs', name, 'main.js')], {
      env: baseEnv({
        DATABASE_URL: databaseUrl(),
        DATABASE_NAME_PREFIX: prefixOf(options),
        // Writes publish what they changed, so every router's cache hears of every write, whichever router made it.
        CACHE_REDIS_URL: redisUrl(),
        ACCOUNT_PORT: String(PORTS.account),
        PRODUCT_PORT: String(PORTS.product),
        ORDER_PORT: String(PORTS.order),
        PRODUCT_INTERNAL_URL: `http://127.0.0.1:${PORTS.product}`,
        SUBGRAPH_SECRET: SECRET,
        INTERNAL_API_TOKEN: SECRET,
      }),
      cwd: ROOT,
      logFile: path.join(TMP, `cache-${name}.log`),
    });
    await proc.waitUntil(
      entries[name],
      'health/ready',
      async () => (await request(`http://127.0.0.1:${PORTS[name]}/health/ready`, { dispatcher: agent })).statusCode === 200,
    );
  }
  return entries;
}

const subgraphUrl = (name) => `http://127.0.0.1:${PORTS[name]}/graphql`;

async function startRouter(config) {
  let entry;
  if (config.cache === null) {
    entry = proc.start('cache-stock', [process.execPath, path.join(__dirname, 'routers', 'stock.js')], {
      env: baseEnv({
        BENCH_SUPERGRAPH: writeGatewaySupergraph('cache', subgraphUrl),
        BENCH_PORT: String(config.port),
        BENCH_SUBGRAPH_SECRET: SECRET,
      }),
      cwd: __dirname,
      cores: '1',
      logFile: path.join(TMP, 'cache-router-stock.log'),
    });
  } else {
    entry = proc.start(`cache-router-${config.name}`, [process.execPath, path.join(ROOT, 'dist', 'router', 'main.js')], {
      env: baseEnv({
        ROUTER_PORT: String(config.port),
        ROUTER_ADMIN_PORT: String(config.admin),
        SUPERGRAPH_PATH: path.join(ROOT, 'schema', 'supergraph.graphql'),
        JWT_SECRET: SECRET,
        ACCOUNT_SUBGRAPH_SECRET: SECRET,
        PRODUCT_SUBGRAPH_SECRET: SECRET,
        ORDER_SUBGRAPH_SECRET: SECRET,
        ACCOUNT_URL: subgraphUrl('account'),
        PRODUCT_URL: subgraphUrl('product'),
        ORDER_URL: subgraphUrl('order'),
        ENTITY_CACHE: config.cache,
        // Every router of ours gets the same Redis (APQ; with the cache on, its invalidations and the redis store).
        CACHE_REDIS_URL: redisUrl(),
        // One load generator is one client: a client budget would refuse it within a second.
        BUDGET_MODE: 'off',
        USAGE_RECORDING: 'false',
      }),
      cwd: ROOT,
      cores: '1',
      logFile: path.join(TMP, `cache-router-${config.name}.log`),
    });
  }
  const url = `http://127.0.0.1:${config.port}/graphql`;
  await proc.waitUntil(entry, 'answering GraphQL', async () => (await post(url, JSON.stringify({ query: '{ __typename }' }))).status < 500);
  return { ...config, entry, url };
}

/** Tops up the stock of every product the sequence orders, through the product subgraph, so no order runs out. */
async function topUpStock(requests) {
  const ids = [...new Set(requests.filter((r) => r.kind === 'placeOrder').map((r) => r.product))];
  const headers = { 'x-router-credential': SECRET, 'x-user-id': EDITOR, 'x-user-scopes': 'catalog:write' };
  for (let first = 0; first < ids.length; first += 64) {
    const batch = ids.slice(first, first + 64);
    const mutation = `mutation { ${batch.map((id) => `a${id}: adjustStock(productId: "${id}", delta: 1000000) { stock }`).join(' ')} }`;
    const written = await post(subgraphUrl('product'), JSON.stringify({ query: mutation }), headers);
    if (written.status !== 200 || JSON.parse(written.text).errors) throw new Error(`could not top up stock: ${written.text.slice(0, 300)}`);
  }
  return ids.length;
}

const sumOf = (counts) => Object.values(counts).reduce((sum, n) => sum + n, 0);

/** SQL statements the subgraphs sent so far, and (ours) the router's entity cache hits and misses. */
async function counters(router) {
  let statements = 0;
  for (const name of SUBGRAPHS)
    statements += sumOf(await metricByLabel(`http://127.0.0.1:${PORTS[name]}/metrics`, 'db_statements_total', 'server'));
  if (router.admin === null) return { statements, hits: null, misses: null };
  const metrics = `http://127.0.0.1:${router.admin}/metrics`;
  return {
    statements,
    hits: sumOf(await metricByLabel(metrics, 'entity_cache_hits_total', 'subgraph')),
    misses: sumOf(await metricByLabel(metrics, 'entity_cache_misses_total', 'subgraph')),
  };
}

/** One run of the sequence on `router` (closed loop, or at `rate` requests a second); every answer must be a 2xx without `errors`. */
async function measure(router, requests, headers, { seconds, connections, rate = null, label }) {
  const before = await counters(router);
  const { ok, elapsed, latencies, problems } = await runMix({
    url: router.url,
    requests: requests.map((r, index) => ({ body: r.body, headers: headers[index] })),
    seconds,
    connections,
    rate,
  });
  const after = await counters(router);
  const statements = after.statements - before.statements;
  const lookups = router.admin === null ? null : after.hits - before.hits + (after.misses - before.misses);
  const measured = {
    config: router.name,
    fixedRate: rate,
    requests: ok,
    seconds: Number(elapsed.toFixed(2)),
    rps: ok / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    sqlStatements: statements,
    sqlPerSecond: statements / elapsed,
    sqlPerRequest: ok ? statements / ok : null,
    cacheHits: lookups === null ? null : after.hits - before.hits,
    cacheLookups: lookups,
    hitRatio: lookups ? (after.hits - before.hits) / lookups : null,
    loadAverage: os.loadavg()[0],
    valid: problems.length === 0,
    problems,
  };
  const fixed = (value, digits) => (value === null || value === undefined ? '–' : value.toFixed(digits));
  log(
    `${label}: ${fixed(measured.rps, 0)} req/s, p95 ${fixed(measured.p95, 1)} ms, SQL ${fixed(measured.sqlPerSecond, 0)}/s ` +
      `(${fixed(measured.sqlPerRequest, 2)}/req), hit ratio ${fixed(measured.hitRatio, 3)}${measured.valid ? '' : ` INVALID: ${problems.join('; ')}`}`,
  );
  return measured;
}

function summarise(runs) {
  const summary = {};
  for (const config of CONFIGS) {
    const closed = runs.filter((r) => r.config === config.name && r.fixedRate === null);
    const valid = closed.filter((r) => r.valid);
    const atRate = runs.find((r) => r.config === config.name && r.fixedRate !== null) ?? null;
    const hits = valid.reduce((sum, r) => sum + (r.cacheHits ?? 0), 0);
    const lookups = valid.reduce((sum, r) => sum + (r.cacheLookups ?? 0), 0);
    summary[config.name] = {
      title: config.title,
      runs: closed.length,
      validRuns: valid.length,
      rps: median(valid.map((r) => r.rps)),
      p50: median(valid.map((r) => r.p50)),
      p95: median(valid.map((r) => r.p95)),
      sqlPerSecond: median(valid.map((r) => r.sqlPerSecond)),
      sqlPerRequest: median(valid.map((r) => r.sqlPerRequest)),
      hitRatio: config.cache === null ? null : lookups ? hits / lookups : null,
      atRate: atRate && {
        rate: atRate.fixedRate,
        valid: atRate.valid,
        rps: atRate.rps,
        p95: atRate.p95,
        sqlPerSecond: atRate.sqlPerSecond,
        sqlPerRequest: atRate.sqlPerRequest,
        hitRatio: atRate.hitRatio,
      },
    };
  }
  const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null);
  const ratios = {
    sqlPerSecondOffOverMemoryAtSameRate: ratio(summary.off.atRate?.sqlPerSecond, summary.memory.atRate?.sqlPerSecond),
    sqlPerSecondOffOverRedisAtSameRate: ratio(summary.off.atRate?.sqlPerSecond, summary.redis.atRate?.sqlPerSecond),
    sqlPerRequestOffOverMemory: ratio(summary.off.sqlPerRequest, summary.memory.sqlPerRequest),
    sqlPerRequestOffOverRedis: ratio(summary.off.sqlPerRequest, summary.redis.sqlPerRequest),
    throughputMemoryOverStock: ratio(summary.memory.rps, summary.stock.rps),
    throughputRedisOverStock: ratio(summary.redis.rps, summary.stock.rps),
    throughputOffOverStock: ratio(summary.off.rps, summary.stock.rps),
  };
  return { summary, ratios };
}

function markdown(result) {
  const { meta, summary, ratios } = result;
  const fixed = (value, digits) => (value === null || value === undefined ? '–' : value.toFixed(digits));
  const lines = [
    `# Entity cache off, in process, in Redis, and stock: ${meta.date} ${meta.commit}${meta.quick ? ' (quick)' : ''}`,
    '',
    `${meta.scale} seed (${meta.products.toLocaleString('en')} products); mix: ${100 - meta.writesPerHundred} % reads ` +
      `(product detail 3 in 4, catalog page of 20 1 in 4, products and pages drawn from Zipf ${ZIPF_EXPONENT.toFixed(1)}), ` +
      `${meta.writesPerHundred} % writes (price changes and orders, alternately); ${meta.connections} connections, ` +
      `${meta.rounds} round(s) of ${meta.durationSeconds} s per configuration after a ${meta.warmupSeconds} s warm-up, then ` +
      `${meta.durationSeconds} s each at ${meta.fixedRate ?? '–'} req/s; ${meta.cores} cores (${meta.cpu}), load average ` +
      `${meta.loadAverageAtStart.toFixed(1)} at the start, ${meta.loadAverage.toFixed(1)} at the end.`,
    ...(meta.note ? ['', `Machine: ${meta.note}`] : []),
    '',
    'Closed loop (each configuration as fast as it goes):',
    '',
    '| configuration | valid runs | req/s (median) | p50 ms | p95 ms | SQL/s at MySQL | SQL/request | hit ratio |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const config of CONFIGS) {
    const s = summary[config.name];
    lines.push(
      `| ${s.title} | ${s.validRuns}/${s.runs} | ${fixed(s.rps, 0)} | ${fixed(s.p50, 1)} | ${fixed(s.p95, 1)} | ${fixed(s.sqlPerSecond, 0)} | ${fixed(s.sqlPerRequest, 2)} | ${fixed(s.hitRatio, 3)} |`,
    );
  }
  lines.push(
    '',
    `At the same request rate (${meta.fixedRate ?? '–'} req/s asked, 80 % of the slowest configuration's median):`,
    '',
    '| configuration | valid | req/s served | p95 ms | SQL/s at MySQL | SQL/request | hit ratio |',
    '|---|---|---|---|---|---|---|',
  );
  for (const config of CONFIGS) {
    const a = summary[config.name].atRate;
    if (!a) continue;
    lines.push(
      `| ${summary[config.name].title} | ${a.valid ? 'yes' : 'no'} | ${fixed(a.rps, 0)} | ${fixed(a.p95, 1)} | ${fixed(a.sqlPerSecond, 0)} | ${fixed(a.sqlPerRequest, 2)} | ${fixed(a.hitRatio, 3)} |`,
    );
  }
  lines.push(
    '',
    'Ratios (targets of issue 17: SQL/s at least 5× lower with the cache at the same rate; throughput at least 2× stock):',
    '',
    `- SQL/s off ÷ memory at the same rate: ${fixed(ratios.sqlPerSecondOffOverMemoryAtSameRate, 2)}; off ÷ redis: ${fixed(ratios.sqlPerSecondOffOverRedisAtSameRate, 2)}`,
    `- SQL/request off ÷ memory (closed loop): ${fixed(ratios.sqlPerRequestOffOverMemory, 2)}; off ÷ redis: ${fixed(ratios.sqlPerRequestOffOverRedis, 2)}`,
    `- throughput ÷ stock (closed loop): memory ${fixed(ratios.throughputMemoryOverStock, 2)}, redis ${fixed(ratios.throughputRedisOverStock, 2)}, off ${fixed(ratios.throughputOffOverStock, 2)}`,
    '',
  );
  if (result.bound) {
    const { closedLoop, atRate } = result.bound;
    const most = (h) => (typeof h === 'number' && h < 1 ? fixed(1 / (1 - h), 2) : '–');
    lines.push(
      `What an ideal cache could do on this sequence (one that keeps to the hints: every read of an entry within its ${closedLoop.ttlSeconds} s TTL ` +
        "(the reads' hint) and after its product's last write is a hit, fills are instant, nothing is evicted), runs as long " +
        "as the measured ones starting empty (median of five starts), and in the long run (steady state). The reads' SQL " +
        "falls at most by 1 ÷ (1 − hit ratio), the writes' SQL not at all, so that is the most SQL/s can fall:",
      '',
      '| request rate | hit ratio per run | most SQL/s can fall | hit ratio in the long run | most SQL/s can fall |',
      '|---|---|---|---|---|',
      ...[closedLoop, atRate]
        .filter(Boolean)
        .map(
          (b) =>
            `| ${fixed(b.rate, 0)} req/s | ${fixed(b.hitRatioPerRun, 3)} | ${most(b.hitRatioPerRun)}× | ${fixed(b.hitRatioLongRun, 3)} | ${most(b.hitRatioLongRun)}× |`,
        ),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function runCacheBench(argv) {
  const options = parseOptions(argv);
  fs.mkdirSync(TMP, { recursive: true });
  fs.mkdirSync(options.out, { recursive: true });
  const startedAt = Date.now();
  const loadAverageAtStart = os.loadavg()[0];
  if (options.build) {
    log('building the root project (npm run build)');
    run('npm', ['run', 'build', '--silent']);
  }
  await ensureSeeded(options);
  const users = await buyers(options);
  if (users.length === 0) throw new Error('the seed has no user with orders');
  log(
    `starting the subgraphs (ports ${PORTS.account}-${PORTS.order}) on ${hidePassword(databaseUrl())}, changes published on ${hidePassword(redisUrl())}`,
  );
  const subgraphs = await startSubgraphs(options);
  const routers = {};
  const runs = [];
  let fixedRate = null;
  let sequence = null;
  try {
    const pages = Math.min(LISTING_PAGES, Math.floor(SCALES[options.scale].products / 20));
    const cursors = await listingCursors(pages, subgraphUrl('product'));
    const requests = workload(options, { users, cursors });
    sequence = requests;
    const kinds = {};
    for (const r of requests) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
    log(`sequence of ${requests.length} requests: ${JSON.stringify(kinds)}; ${await topUpStock(requests)} products topped up for orders`);
    for (const config of CONFIGS) routers[config.name] = await startRouter(config);
    const headers = {};
    for (const config of CONFIGS) headers[config.name] = await headersFor(config, requests);
    const pinned = proc.pinSelf('0');
    log(`load generator ${pinned ? 'pinned to core 0, routers to core 1' : 'not pinned'}`);
    const settings = { connections: options.connections };
    for (const config of CONFIGS) {
      if (options.warmup > 0)
        await measure(routers[config.name], requests, headers[config.name], {
          ...settings,
          seconds: options.warmup,
          label: `warm-up, ${config.name}`,
        });
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const config of CONFIGS) {
        const label = `round ${round}/${options.rounds}, ${config.name}`;
        runs.push({
          round,
          ...(await measure(routers[config.name], requests, headers[config.name], { ...settings, seconds: options.duration, label })),
        });
      }
    }
    const slowest = Math.min(
      ...CONFIGS.map((c) => median(runs.filter((r) => r.config === c.name && r.valid).map((r) => r.rps)) ?? Infinity),
    );
    if (Number.isFinite(slowest) && slowest >= 2) {
      fixedRate = Math.floor(slowest * 0.8);
      for (const config of CONFIGS) {
        const label = `same rate ${fixedRate} req/s, ${config.name}`;
        runs.push({
          round: 'rate',
          ...(await measure(routers[config.name], requests, headers[config.name], {
            ...settings,
            seconds: options.duration,
            rate: fixedRate,
            label,
          })),
        });
      }
    }
  } finally {
    for (const router of Object.values(routers)) await proc.stop(router.entry);
    for (const entry of Object.values(subgraphs).reverse()) await proc.stop(entry);
  }
  const commit = gitCommit();
  const date = new Date().toISOString().slice(0, 10);
  const memoryRate = median(runs.filter((r) => r.config === 'memory' && r.valid && r.fixedRate === null).map((r) => r.rps));
  const bound =
    sequence && memoryRate
      ? {
          closedLoop: idealBound(sequence, { rate: memoryRate, seconds: options.duration }),
          atRate: fixedRate ? idealBound(sequence, { rate: fixedRate, seconds: options.duration }) : null,
        }
      : null;
  const result = {
    meta: {
      date,
      commit,
      quick: options.quick,
      scale: options.scale,
      products: SCALES[options.scale].products,
      writesPerHundred: options.writes,
      zipfExponent: ZIPF_EXPONENT,
      connections: options.connections,
      durationSeconds: options.duration,
      rounds: options.rounds,
      warmupSeconds: options.warmup,
      fixedRate,
      note: options.note,
      node: process.versions.node,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: proc.CORES,
      loadAverageAtStart,
      loadAverage: os.loadavg()[0],
      minutes: Number(((Date.now() - startedAt) / 60_000).toFixed(1)),
    },
    ...summarise(runs),
    bound,
    runs,
  };
  // Another share of writes than the default's is another experiment: its name says so.
  await writeMixResults(options, options.writes === 5 ? 'cache' : `cache-writes${options.writes}`, result, markdown);
}

module.exports = { runCacheBench };
