/**
 * `npm run bench` (in bench/): our router beside stock @apollo/gateway, Hive Gateway and the floor (the same
 * subgraph requests made directly), on the same subgraphs, supergraph and load. See README.md.
 *
 *   npm run bench -- [--quick] [--distinct] [--canned] [--embedded] [--duration 10] [--rounds 3] [--connections 32]
 *                    [--warmup 5] [--routers ours,stock,hive,floor] [--operations productList,productDetail,myOrders,checkout]
 *                    [--no-build] [--reseed] [--out results]
 *   node bench.js --report results/<file>.json    (rewrites the .md and .svg from the .json)
 *   node bench.js --replicas [options]              (read replicas off and on: replicas.js)
 */
const crypto = require('node:crypto');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { Agent, request } = require('undici');
const proc = require('./lib/proc');
const { OPERATIONS, READER_USER, CHECKOUT_PRODUCTS, normalise, distinctVariants } = require('./lib/operations');
const report = require('./lib/report');

const ROOT = path.resolve(__dirname, '..');
const TMP = path.join(__dirname, '.tmp');
const SUBGRAPHS = ['account', 'product', 'order'];
/** Every port this bench listens on is in 5100–5199. */
const PORTS = {
  account: 5101,
  product: 5102,
  order: 5103,
  canned: 5110,
  proxy: 5120,
  ours: 5130,
  oursAdmin: 5131,
  stock: 5140,
  hive: 5150,
  floor: 5160,
  sqlCounter: { account: 5171, product: 5172, order: 5173 },
};
const SECRET = 'bench-only-secret-of-production-strength-0123456789';
const DATABASE_NAME_PREFIX = 'bench_large_';
const SEED = { users: 10_000, products: 100_000, orders: 200_000 };

// ---------------------------------------------------------------------------------------------------------------
// Options

function parseOptions(argv) {
  const options = {
    quick: false,
    distinct: false,
    canned: false,
    embedded: false,
    build: true,
    reseed: false,
    duration: null,
    rounds: null,
    warmup: null,
    connections: 32,
    routers: ['ours', 'stock', 'hive', 'floor'],
    operations: OPERATIONS.map((op) => op.name),
    out: path.join(__dirname, 'results'),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--distinct':
        options.distinct = true;
        break;
      case '--canned':
        options.canned = true;
        break;
      case '--embedded':
        options.embedded = true;
        break;
      case '--no-build':
        options.build = false;
        break;
      case '--reseed':
        options.reseed = true;
        break;
      case '--duration':
        options.duration = Number(value());
        break;
      case '--rounds':
        options.rounds = Number(value());
        break;
      case '--warmup':
        options.warmup = Number(value());
        break;
      case '--connections':
        options.connections = Number(value());
        break;
      case '--routers':
        options.routers = value().split(',').filter(Boolean);
        break;
      case '--operations':
        options.operations = value().split(',').filter(Boolean);
        break;
      case '--out':
        options.out = path.resolve(value());
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 8).join('\n')}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option '${argv[i]}' (see --help)`);
    }
  }
  options.duration ??= options.quick ? 3 : 10;
  options.rounds ??= 3;
  options.warmup ??= options.quick ? 1 : 5;
  for (const router of options.routers) {
    if (!['ours', 'stock', 'hive', 'floor'].includes(router)) throw new Error(`--routers: unknown router '${router}'`);
  }
  for (const op of options.operations) {
    if (!OPERATIONS.some((o) => o.name === op)) throw new Error(`--operations: unknown operation '${op}'`);
  }
  if (options.routers.includes('floor') && !options.routers.includes('stock')) {
    // The floor replays what the stock gateway asks the subgraphs: it needs the stock gateway's pass.
    throw new Error('--routers: the floor needs stock (it replays the stock gateway’s subgraph requests)');
  }
  return options;
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const sha1 = (...parts) => {
  const hash = crypto.createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};
const agent = new Agent({ connections: 16, keepAliveTimeout: 2_000 });

async function post(url, body, headers = {}) {
  const started = process.hrtime.bigint();
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, text, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function getOk(url) {
  const response = await request(url, { dispatcher: agent });
  await response.body.dump();
  return response.statusCode === 200;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function stat(values) {
  const list = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (list.length === 0) return null;
  const mid = Math.floor(list.length / 2);
  const median = list.length % 2 ? list[mid] : (list[mid - 1] + list[mid]) / 2;
  return { median, min: list[0], max: list[list.length - 1], n: list.length };
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'nocommit';
  }
}

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [__dirname] }), 'utf8')).version;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The root project: built, seeded

function run(command, args, cwd, env = process.env) {
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

function buildRoot(options) {
  if (!fs.existsSync(path.join(ROOT, 'node_modules', '.package-lock.json'))) {
    log('installing the root project (npm ci)');
    run('npm', ['ci', '--no-audit', '--no-fund'], ROOT);
  }
  if (options.build || !fs.existsSync(path.join(ROOT, 'dist', 'router', 'main.js'))) {
    log('building the root project (npm run build)');
    try {
      run('npm', ['run', 'build', '--silent'], ROOT);
    } catch (error) {
      // tsc emits despite type errors: with a dist/ in place the bench can go on, and says so in its results.
      if (!fs.existsSync(path.join(ROOT, 'dist', 'router', 'main.js'))) throw error;
      log('WARNING: the build reported errors; benchmarking the JavaScript tsc emitted anyway');
      return 'the root build reported type errors (tsc emitted dist/ anyway)';
    }
  }
  return null;
}

/** The environment every subgraph (and the seed, and our router's usage store) gets. */
function databaseEnv(options) {
  if (options.embedded) return { DATA_DIR: path.join(__dirname, '.data'), DATABASE_NAME_PREFIX };
  return { DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306', DATABASE_NAME_PREFIX };
}

function baseEnv(extra) {
  return { PATH: process.env.PATH, HOME: process.env.HOME ?? os.homedir(), NODE_ENV: 'production', LOG_LEVEL: 'warn', ...extra };
}

/** Users with at least `minimum` orders in the bench's order database (for --distinct "my orders"), MySQL only. */
async function usersWithOrders(options, count, minimum) {
  const { readDatabaseConfig } = require(path.join(ROOT, 'dist', 'shared'));
  const config = readDatabaseConfig(databaseEnv(options), 'order');
  if (config.kind !== 'mysql') throw new Error('--distinct runs on MySQL');
  const mysql = require(require.resolve('mysql2/promise', { paths: [ROOT] }));
  const connection = await mysql.createConnection({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
  });
  try {
    const [rows] = await connection.query('SELECT user_id FROM orders GROUP BY user_id HAVING COUNT(*) >= ? ORDER BY user_id LIMIT ?', [
      minimum,
      count,
    ]);
    return rows.map((row) => String(row.user_id));
  } finally {
    await connection.end();
  }
}

/** Row counts of the bench databases, or null where a database or table is missing. */
async function seededCounts(options) {
  const { readDatabaseConfig } = require(path.join(ROOT, 'dist', 'shared'));
  const env = databaseEnv(options);
  const target = (name) => readDatabaseConfig(env, name);
  const queries = {
    users: [target('account'), 'SELECT COUNT(*) AS n FROM users'],
    products: [target('product'), 'SELECT COUNT(*) AS n FROM product'],
    orders: [target('order'), 'SELECT COUNT(*) AS n FROM orders'],
  };
  const counts = {};
  for (const [what, [config, sql]] of Object.entries(queries)) {
    try {
      if (config.kind === 'mysql') {
        const mysql = require(require.resolve('mysql2/promise', { paths: [ROOT] }));
        const connection = await mysql.createConnection({
          host: config.host,
          port: config.port,
          user: config.user,
          password: config.password,
          database: config.database,
        });
        try {
          const [rows] = await connection.query(sql);
          counts[what] = Number(rows[0].n);
        } finally {
          await connection.end();
        }
      } else {
        const Database = require(require.resolve('better-sqlite3', { paths: [ROOT] }));
        if (!fs.existsSync(config.file)) throw new Error('no file');
        const db = new Database(config.file, { readonly: true, fileMustExist: true });
        try {
          counts[what] = Number(db.prepare(sql).get().n);
        } finally {
          db.close();
        }
      }
    } catch {
      counts[what] = null;
    }
  }
  return counts;
}

async function ensureSeeded(options) {
  const counts = await seededCounts(options);
  const seeded = counts.users === SEED.users && counts.products === SEED.products && counts.orders >= SEED.orders;
  if (seeded && !options.reseed) {
    log(`large data set already seeded (${counts.users} users, ${counts.products} products, ${counts.orders} orders)`);
    return;
  }
  log(`seeding the large data set into ${options.embedded ? 'SQLite' : 'MySQL'} databases ${DATABASE_NAME_PREFIX}*`);
  const started = Date.now();
  run(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'seed.js'), '--scale', 'large'], ROOT, baseEnv(databaseEnv(options)));
  log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------------------------
// Subgraphs, routers

const subgraphUrl = (name) => `http://127.0.0.1:${PORTS[name]}/graphql`;
const proxyUrl = (name) => `http://127.0.0.1:${PORTS.proxy}/${name}/graphql`;
const cannedUrl = (name) => `http://127.0.0.1:${PORTS.canned}/${name}/graphql`;

async function startSubgraphs(options) {
  const started = {};
  for (const name of SUBGRAPHS) {
    const env = baseEnv({
      ...databaseEnv(options),
      SUBGRAPH_SECRET: SECRET,
      INTERNAL_API_TOKEN: SECRET,
      ACCOUNT_PORT: String(PORTS.account),
      PRODUCT_PORT: String(PORTS.product),
      ORDER_PORT: String(PORTS.order),
      PRODUCT_INTERNAL_URL: `http://127.0.0.1:${PORTS.product}`,
      BENCH_SQL_COUNTER_PORT: String(PORTS.sqlCounter[name]),
      BENCH_PROJECT_ROOT: ROOT,
    });
    const entry = proc.start(
      name,
      [process.execPath, '-r', path.join(__dirname, 'lib', 'countSql.js'), path.join(ROOT, 'dist', 'subgraphs', name, 'main.js')],
      { env, cwd: ROOT, cores: 'all', logFile: path.join(TMP, `${name}.log`) },
    );
    await proc.waitUntil(entry, 'health/ready', () => getOk(`http://127.0.0.1:${PORTS[name]}/health/ready`));
    started[name] = entry;
  }
  return started;
}

async function sqlStatements() {
  let total = 0;
  for (const name of SUBGRAPHS) {
    const response = await request(`http://127.0.0.1:${PORTS.sqlCounter[name]}/`, { dispatcher: agent });
    total += (await response.body.json()).statements;
  }
  return total;
}

/** The supergraph the stock and Hive gateways load: without the security links, with this run's subgraph URLs. */
function writeGatewaySupergraph(label, urlOf) {
  const { prepareSupergraph } = require(path.join(ROOT, 'dist', 'router', 'supergraph.js'));
  const sdl = fs.readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8');
  const gatewaySdl = prepareSupergraph(sdl).gatewaySdl.replace(
    /@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g,
    (_all, name) => `@join__graph(name: "${name}", url: "${urlOf(name)}")`,
  );
  const file = path.join(TMP, `supergraph-${label}.graphql`);
  fs.writeFileSync(file, gatewaySdl);
  return file;
}

/** Starts `router` with its subgraphs at `urlOf(name)`, pinned to core 1; resolves when it answers GraphQL. */
async function startRouter(router, urlOf, label, options, floorPlanFile) {
  const logFile = path.join(TMP, `${router}-${label}.log`);
  const cores = '1';
  let entry;
  let url;
  if (router === 'ours') {
    const env = baseEnv({
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
      // A client budget would refuse a load generator within a second (it is one client): off, as for any benchmark.
      BUDGET_MODE: 'off',
      // BENCH_OURS_ENV="ROUTER_DEDUPLICATE_QUERIES=false …": settings to compare (before/after an optimization).
      ...Object.fromEntries(
        (process.env.BENCH_OURS_ENV ?? '')
          .split(/\s+/)
          .filter(Boolean)
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      ),
    });
    // BENCH_OURS_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, go to node before the script (profiling).
    const nodeArgs = (process.env.BENCH_OURS_NODE_ARGS ?? '').split(' ').filter(Boolean);
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
    entry = proc.start('stock', [process.execPath, path.join(__dirname, 'routers', 'stock.js')], { env, cwd: __dirname, cores, logFile });
    url = `http://127.0.0.1:${PORTS.stock}/graphql`;
  } else if (router === 'hive') {
    const env = baseEnv({ BENCH_SUBGRAPH_SECRET: SECRET });
    const bin = path.join(path.dirname(require.resolve('@graphql-hive/gateway/package.json', { paths: [__dirname] })), 'dist', 'bin.js');
    entry = proc.start(
      'hive',
      [
        process.execPath,
        bin,
        'supergraph',
        writeGatewaySupergraph(label, urlOf),
        '--config-path',
        path.join(__dirname, 'routers', 'hive.config.cjs'),
        '--fork',
        '1',
        '--host',
        '127.0.0.1',
        '--port',
        String(PORTS.hive),
      ],
      { env, cwd: __dirname, cores, logFile },
    );
    url = `http://127.0.0.1:${PORTS.hive}/graphql`;
  } else if (router === 'floor') {
    const env = baseEnv({ BENCH_FLOOR_PLAN: floorPlanFile, BENCH_PORT: String(PORTS.floor) });
    entry = proc.start('floor', [process.execPath, path.join(__dirname, 'routers', 'floor.js')], { env, cwd: __dirname, cores, logFile });
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

// ---------------------------------------------------------------------------------------------------------------
// Identity: our router verifies a bearer token; stock and Hive forward the identity headers the client sends.

async function identityHeaders(router, user) {
  if (!user || router === 'floor') return {};
  if (router === 'ours') {
    const { signDevelopmentToken } = require(path.join(ROOT, 'dist', 'router', 'auth', 'developmentToken.js'));
    const { readRouterConfig } = require(path.join(ROOT, 'dist', 'router', 'RouterConfig.js'));
    const auth = readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, BUDGET_MODE: 'off' }).auth;
    return { authorization: `Bearer ${await signDevelopmentToken(auth, { userId: user, ttlSeconds: 24 * 3600 })}` };
  }
  return { 'x-user-id': user };
}

// ---------------------------------------------------------------------------------------------------------------
// The unmeasured pass: through a recording proxy, count subgraph requests and SQL statements per operation,
// capture what the stock gateway asks (the floor replays it) and what every subgraph answers (canned mode).

function startRecordingProxy() {
  const state = { log: [] };
  const base = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - base) / 1e6;
  const server = http.createServer((req, res) => {
    const match = /^\/(account|product|order)(\/.*)$/.exec(req.url);
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      if (!match) {
        res.writeHead(404);
        res.end();
        return;
      }
      const [, subgraph, rest] = match;
      const body = Buffer.concat(chunks);
      const headers = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (!['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding'].includes(name)) headers[name] = value;
      }
      const entry = { subgraph, path: req.url, headers, body: body.toString('utf8'), start: now() };
      try {
        const response = await request(`http://127.0.0.1:${PORTS[subgraph]}${rest}`, {
          method: req.method,
          headers,
          body,
          dispatcher: agent,
        });
        const responseBody = Buffer.from(await response.body.arrayBuffer());
        entry.end = now();
        entry.status = response.statusCode;
        entry.contentType = response.headers['content-type'] ?? 'application/json';
        entry.contentEncoding = response.headers['content-encoding'] ?? null;
        entry.response = responseBody.toString('utf8');
        state.log.push(entry);
        const out = { 'content-type': entry.contentType, 'content-length': responseBody.length };
        if (entry.contentEncoding) out['content-encoding'] = entry.contentEncoding;
        res.writeHead(response.statusCode, out);
        res.end(responseBody);
      } catch (error) {
        res.writeHead(502);
        res.end(String(error));
      }
    });
  });
  return new Promise((resolve) => server.listen(PORTS.proxy, '127.0.0.1', () => resolve({ server, state })));
}

/** Requests the gateway had in flight together form a stage; a stage starts once one of the previous stage's answered. */
function stagesOf(entries) {
  const sorted = [...entries].sort((a, b) => a.start - b.start);
  const stages = [];
  let current = null;
  for (const entry of sorted) {
    if (!current || entry.start >= Math.min(...current.map((e) => e.end))) {
      current = [];
      stages.push(current);
    }
    current.push(entry);
  }
  return stages;
}

async function countingPass(options, operations) {
  log('unmeasured pass: subgraph requests and SQL statements per operation, references, recordings');
  const proxy = await startRecordingProxy();
  const counts = {};
  const references = {};
  const responses = {};
  const canned = {};
  const floorPlan = {};
  const problems = [];
  const passRouters = options.routers.filter((r) => r !== 'floor');
  // The stock gateway goes first: its answers are the references.
  passRouters.sort((a, b) => (a === 'stock' ? -1 : b === 'stock' ? 1 : 0));
  try {
    for (const routerName of passRouters) {
      const router = await startRouter(routerName, proxyUrl, 'proxy', options);
      counts[routerName] = {};
      responses[routerName] = {};
      try {
        for (const op of operations) {
          const headers = await identityHeaders(routerName, op.user);
          const perRequest = [];
          // Reads: the same body three times (the first may load a cold cache); checkout: every body once.
          const bodies = op.kind === 'read' ? [op.bodies[0], op.bodies[0], op.bodies[0]] : op.bodies;
          for (const body of bodies) {
            proxy.state.log = [];
            const sqlBefore = options.canned ? null : await sqlStatements().catch(() => null);
            const response = await post(router.url, body, headers);
            const sqlAfter = options.canned ? null : await sqlStatements().catch(() => null);
            const entries = proxy.state.log;
            perRequest.push({
              subgraphRequests: entries.length,
              bySubgraph: Object.fromEntries(SUBGRAPHS.map((s) => [s, entries.filter((e) => e.subgraph === s).length])),
              sql: sqlBefore === null || sqlAfter === null ? null : sqlAfter - sqlBefore,
            });
            for (const entry of entries) {
              canned[sha1(entry.path, '\n', entry.body)] = {
                status: entry.status,
                contentType: entry.contentType,
                body: entry.response,
              };
            }
            const normalised = normalise(response.text, op.compare);
            if (response.status !== 200 || normalised === null) {
              problems.push(`${routerName} × ${op.name}: answered ${response.status} ${response.text.slice(0, 300)}`);
            }
            // The stock gateway's answer is the reference (without stock in the run: the first router's).
            if (routerName === passRouters[0]) {
              references[op.name] ??= { normalised, bytes: Buffer.byteLength(response.text), sample: response.text.slice(0, 200) };
            }
            if (routerName === 'stock') {
              floorPlan[sha1(body)] = {
                operation: op.name,
                response: response.text,
                stages: stagesOf(entries).map((stage) =>
                  stage.map((e) => ({
                    subgraph: e.subgraph,
                    headers: Object.fromEntries(
                      Object.entries(e.headers).filter(([name]) =>
                        ['content-type', 'accept', 'x-router-credential', 'x-user-id', 'x-user-scopes'].includes(name),
                      ),
                    ),
                    body: e.body,
                  })),
                ),
              };
            }
            responses[routerName][op.name] ??= { normalised, bytes: Buffer.byteLength(response.text) };
          }
          const median = (key) => stat(perRequest.map((r) => r[key]))?.median ?? null;
          counts[routerName][op.name] = {
            subgraphRequests: median('subgraphRequests'),
            sqlStatements: median('sql'),
            bySubgraph: perRequest[perRequest.length - 1].bySubgraph,
            responseBytes: responses[routerName][op.name].bytes,
          };
          log(
            `  ${routerName.padEnd(5)} ${op.name.padEnd(13)} ${counts[routerName][op.name].subgraphRequests} subgraph requests ` +
              `(${SUBGRAPHS.map((s) => `${s} ${counts[routerName][op.name].bySubgraph[s]}`).join(', ')}), ` +
              `${counts[routerName][op.name].sqlStatements ?? '?'} SQL statements, ${(responses[routerName][op.name].bytes / 1024).toFixed(1)} KB`,
          );
        }
      } finally {
        await proc.stop(router.entry);
      }
    }
  } finally {
    await new Promise((resolve) => proxy.server.close(resolve));
  }
  for (const routerName of passRouters) {
    for (const op of operations) {
      const reference = references[op.name]?.normalised;
      const own = responses[routerName]?.[op.name]?.normalised;
      if (reference && own !== reference) problems.push(`${routerName} × ${op.name}: its answer differs from ${passRouters[0]}'s`);
    }
  }
  if (options.routers.includes('floor')) {
    counts.floor = {};
    for (const op of operations) counts.floor[op.name] = counts.stock[op.name];
  }
  const floorPlanFile = path.join(TMP, `floor-plan-${options.canned ? 'canned' : 'direct'}.json`);
  const urlOf = options.canned ? cannedUrl : subgraphUrl;
  const byBodyHash = Object.fromEntries(
    Object.entries(floorPlan).map(([hash, entry]) => [
      hash,
      { ...entry, stages: entry.stages.map((stage) => stage.map((r) => ({ url: urlOf(r.subgraph), headers: r.headers, body: r.body }))) },
    ]),
  );
  fs.writeFileSync(floorPlanFile, JSON.stringify({ byBodyHash }));
  const cannedFile = path.join(TMP, 'canned.json');
  fs.writeFileSync(cannedFile, JSON.stringify({ byKey: canned }));
  return { counts, references, problems, floorPlanFile, cannedFile };
}

// ---------------------------------------------------------------------------------------------------------------
// Checkout needs stock: top up the products it buys, through the product subgraph (any database).

async function topUpCheckoutStock() {
  const headers = { 'x-router-credential': SECRET, 'x-user-id': READER_USER, 'x-user-scopes': 'catalog:write' };
  for (let first = 0; first < CHECKOUT_PRODUCTS.count; first += 64) {
    const ids = [];
    for (let i = first; i < Math.min(CHECKOUT_PRODUCTS.count, first + 64); i++) ids.push(CHECKOUT_PRODUCTS.first + i);
    const read = await post(
      subgraphUrl('product'),
      JSON.stringify({ query: `{ ${ids.map((id) => `p${id}: product(id: "${id}") { stock }`).join(' ')} }` }),
      headers,
    );
    const data = JSON.parse(read.text).data;
    const low = ids.filter((id) => (data[`p${id}`]?.stock ?? 0) < 500_000);
    if (low.length === 0) continue;
    const mutation = `mutation { ${low.map((id) => `a${id}: adjustStock(productId: "${id}", delta: 1000000) { stock }`).join(' ')} }`;
    const written = await post(subgraphUrl('product'), JSON.stringify({ query: mutation }), headers);
    if (written.status !== 200 || JSON.parse(written.text).errors)
      throw new Error(`could not top up checkout stock: ${written.text.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Measured runs

/**
 * One closed-loop run of `op` against `router`: fixed connections, fixed duration. Every response must be a 2xx
 * without `errors`, and the first must match the reference (normalised); else the run does not count.
 */
async function measure({ router, op, seconds, connections, headers, reference, subgraphPids, label, record }) {
  const latencies = [];
  let first = null;
  let withErrors = 0;
  let checked = 0;
  let sampledMismatch = null;
  let bodies = op.bodies;
  let next = 0;
  const verifyBody = (body) => {
    if (first === null) first = body;
    else if (record && ++checked % 997 === 0 && op.compare === 'data' && bodies.length === 1 && normalise(body, op.compare) !== reference) {
      sampledMismatch ??= body.slice(0, 300);
    }
    if (body.includes('"errors"')) {
      withErrors += 1;
      return false;
    }
    return true;
  };
  // Per-request identities (--distinct "my orders"): the headers rotate with the requests. The floor replays the
  // recorded subgraph requests of the first request only (it has no plan for the others).
  const floor = router.name === 'floor';
  const identities = Array.isArray(headers) && !floor ? headers : null;
  if (floor) bodies = [bodies[0]];
  const requestOptions =
    bodies.length === 1 && !identities
      ? { method: 'POST', body: bodies[0] }
      : {
          requests: [
            {
              method: 'POST',
              setupRequest: (req) => {
                const index = next++;
                req.body = bodies[index % bodies.length];
                if (identities) req.headers = { ...req.headers, ...identities[index % identities.length] };
                return req;
              },
            },
          ],
        };
  const sqlBefore = record && !op.canned ? await sqlStatements().catch(() => null) : null;
  proc.resetPeakRss(router.pid);
  const cpuBefore = proc.cpuMs(router.pid);
  const subgraphCpuBefore = subgraphPids.reduce((sum, pid) => sum + proc.cpuMs(pid), 0);
  const machineBefore = proc.machineCpuMs();
  const selfBefore = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  const instance = autocannon({
    url: router.url,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 30,
    headers: { 'content-type': 'application/json', ...(identities ? {} : headers) },
    verifyBody,
    ...requestOptions,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  let ticks = 0;
  let lastCount = 0;
  instance.on('tick', () => {
    ticks += 1;
    const rate = latencies.length - lastCount;
    lastCount = latencies.length;
    const line = `[bench] ${label}: ${Math.max(0, seconds - ticks)} s left, ${rate} req/s`;
    // A terminal gets one line redrawn every second; a log gets a line every 5 s.
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K`);
    else if (ticks % 5 === 0 && ticks < seconds) process.stderr.write(`${line}\n`);
  });
  const result = await new Promise((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  });
  const elapsedSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const cpu = proc.cpuMs(router.pid) - cpuBefore;
  const subgraphCpu = subgraphPids.reduce((sum, pid) => sum + proc.cpuMs(pid), 0) - subgraphCpuBefore;
  const peakRss = proc.peakRssMb(router.pid);
  const machineAfter = proc.machineCpuMs();
  const self = process.cpuUsage(selfBefore);
  const machineTotal = machineAfter.total - machineBefore.total;
  const loadGeneratorCpu = (self.user + self.system) / 1000;
  // What else kept the machine busy: MariaDB (ours and anyone's), other test suites, the kernel.
  const otherCpu = machineAfter.busy - machineBefore.busy - cpu - subgraphCpu - loadGeneratorCpu;
  const sqlAfter = sqlBefore === null ? null : await sqlStatements().catch(() => null);
  const ok = result['2xx'];
  latencies.sort((a, b) => a - b);
  const reasons = [];
  if (result.non2xx > 0) reasons.push(`${result.non2xx} non-2xx responses`);
  if (result.errors > 0) reasons.push(`${result.errors} errors (${result.timeouts} timeouts)`);
  if (withErrors > 0) reasons.push(`${withErrors} responses with GraphQL errors`);
  if (first === null) reasons.push('no response');
  else if (normalise(first, op.compare) !== reference) reasons.push(`first response differs from the reference: ${first.slice(0, 200)}`);
  if (sampledMismatch) reasons.push(`a sampled response differs from the reference: ${sampledMismatch}`);
  if (ok === 0) reasons.push('no successful response');
  return {
    requests: ok,
    seconds: Number(elapsedSeconds.toFixed(2)),
    rps: ok / elapsedSeconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1),
    cpuMsPerRequest: ok ? cpu / ok : null,
    subgraphCpuMsPerRequest: ok ? subgraphCpu / ok : null,
    peakRssMb: peakRss,
    sqlPerRequest: sqlBefore !== null && sqlAfter !== null && ok ? (sqlAfter - sqlBefore) / ok : null,
    bytesPerResponse: ok ? result.throughput.total / ok : null,
    loadGeneratorCpuPercent: (100 * loadGeneratorCpu) / (elapsedSeconds * 1000),
    otherCpuPercentOfMachine: machineTotal > 0 ? (100 * otherCpu) / machineTotal : null,
    loadAverage: os.loadavg()[0],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    valid: reasons.length === 0,
    invalidReasons: reasons,
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** `--report results/x.json`: writes x.md and x.svg again from the JSON (after a change to the report). */
function rewriteReport(file) {
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  const base = file.replace(/\.json$/, '');
  fs.writeFileSync(`${base}.md`, report.markdown(result));
  fs.writeFileSync(`${base}.svg`, report.svg(result));
  log(`rewrote ${base}.{md,svg}`);
}

async function main() {
  if (process.argv.includes('--replicas')) return require('./replicas').runReplicaBench(process.argv.slice(2));
  const reportIndex = process.argv.indexOf('--report');
  if (reportIndex > 0) return rewriteReport(path.resolve(process.argv[reportIndex + 1]));
  const options = parseOptions(process.argv.slice(2));
  fs.mkdirSync(TMP, { recursive: true });
  fs.mkdirSync(options.out, { recursive: true });
  if (options.distinct && options.canned)
    throw new Error('--distinct needs real subgraphs: the canned ones hold one recording per operation');
  const startedAt = Date.now();
  const buildProblem = buildRoot(options);
  await ensureSeeded(options);
  // After the build and the seed: a fresh clone has neither the compiled helpers nor the users yet.
  const distinctUsers = options.distinct ? await usersWithOrders(options, 63, 20) : [];
  const operations = OPERATIONS.filter((op) => options.operations.includes(op.name)).map((op) =>
    options.distinct ? distinctVariants(op, distinctUsers) : op,
  );

  log(`starting the subgraphs on ${options.embedded ? 'SQLite' : 'MySQL'} (ports ${PORTS.account}-${PORTS.order})`);
  const subgraphs = await startSubgraphs(options);
  if (operations.some((op) => op.name === 'checkout')) await topUpCheckoutStock();

  const pass = await countingPass(options, operations);
  if (buildProblem) pass.problems.unshift(buildProblem);
  for (const problem of pass.problems) log(`PROBLEM ${problem}`);

  let canned = null;
  if (options.canned) {
    canned = proc.start('canned', [process.execPath, path.join(__dirname, 'routers', 'canned.js')], {
      env: baseEnv({ BENCH_CANNED: pass.cannedFile, BENCH_PORT: String(PORTS.canned) }),
      cwd: __dirname,
      cores: 'all',
      logFile: path.join(TMP, 'canned.log'),
    });
    await proc.waitUntil(canned, 'ready', () => getOk(`http://127.0.0.1:${PORTS.canned}/`));
    // The real subgraphs are not needed any more: they would only sit in memory.
    for (const entry of Object.values(subgraphs)) await proc.stop(entry);
  }
  const urlOf = options.canned ? cannedUrl : subgraphUrl;
  const subgraphPids = options.canned ? [canned.pid] : Object.values(subgraphs).map((s) => s.pid);

  const pinned = proc.pinSelf('0');
  log(`load generator ${pinned ? 'pinned to core 0, routers to core 1' : 'not pinned (taskset missing or one core)'}`);
  const routers = {};
  for (const name of options.routers) {
    routers[name] = await startRouter(name, urlOf, options.canned ? 'canned' : 'direct', options, pass.floorPlanFile);
  }
  const headers = {};
  for (const name of options.routers) {
    headers[name] = {};
    for (const op of operations) {
      // --distinct: one set of identity headers per user the requests rotate over.
      headers[name][op.name] = op.users
        ? await Promise.all(op.users.map((user) => identityHeaders(name, user)))
        : await identityHeaders(name, op.user);
    }
  }

  const runs = [];
  const plan = [];
  const reads = operations.filter((op) => op.kind === 'read');
  const writes = operations.filter((op) => op.kind === 'write');
  // Reads first (round after round, routers interleaved), then the writes: a checkout changes the stock that reads show.
  for (const group of [reads, writes]) {
    for (let round = 1; round <= options.rounds; round++) {
      for (const op of group) for (const router of options.routers) plan.push({ round, op, router });
    }
  }
  const total = plan.length;
  const estimate = ((total * options.duration + options.routers.length * operations.length * options.warmup) / 60).toFixed(1);
  log(`${total} measured runs of ${options.duration} s (+ warm-ups): about ${estimate} min`);

  const warmed = new Set();
  for (const [index, { round, op, router }] of plan.entries()) {
    const key = `${router}:${op.name}`;
    const common = {
      router: routers[router],
      op: { ...op, canned: options.canned },
      connections: options.connections,
      headers: headers[router][op.name],
      reference: pass.references[op.name]?.normalised ?? null,
      subgraphPids,
    };
    if (!warmed.has(key) && options.warmup > 0) {
      warmed.add(key);
      await measure({ ...common, seconds: options.warmup, label: `warm-up ${op.name} × ${router}`, record: false });
    }
    const label = `[${index + 1}/${total}] round ${round} ${op.name} × ${router}`;
    const measured = await measure({ ...common, seconds: options.duration, label, record: true });
    runs.push({ round, operation: op.name, router, ...measured });
    log(
      `${label}: ${measured.rps.toFixed(0)} req/s, p50 ${measured.p50?.toFixed(1)} ms, p95 ${measured.p95?.toFixed(1)} ms, ` +
        `p99 ${measured.p99?.toFixed(1)} ms, CPU ${measured.cpuMsPerRequest?.toFixed(3)} ms/req, RSS ${measured.peakRssMb.toFixed(0)} MB, ` +
        `load gen ${measured.loadGeneratorCpuPercent.toFixed(0)}% CPU, other ${measured.otherCpuPercentOfMachine?.toFixed(0)}% of machine` +
        `${measured.sqlPerRequest !== null ? `, SQL ${measured.sqlPerRequest.toFixed(2)}/req` : ''}${measured.valid ? '' : ` INVALID: ${measured.invalidReasons.join('; ')}`}`,
    );
    for (const [name, r] of Object.entries(routers)) {
      if (r.entry.child.exitCode !== null) throw new Error(`${name} exited during the run:\n  ${r.entry.tail.join('\n  ')}`);
    }
  }

  for (const router of Object.values(routers)) await proc.stop(router.entry);
  if (canned) await proc.stop(canned);
  for (const entry of Object.values(subgraphs)) await proc.stop(entry);

  const summary = {};
  for (const op of operations) {
    summary[op.name] = {};
    for (const router of options.routers) {
      const mine = runs.filter((r) => r.operation === op.name && r.router === router);
      const valid = mine.filter((r) => r.valid);
      const of = (key) => stat(valid.map((r) => r[key]));
      summary[op.name][router] = {
        runs: mine.length,
        validRuns: valid.length,
        rps: of('rps'),
        p50: of('p50'),
        p95: of('p95'),
        p99: of('p99'),
        cpuMsPerRequest: of('cpuMsPerRequest'),
        subgraphCpuMsPerRequest: of('subgraphCpuMsPerRequest'),
        peakRssMb: of('peakRssMb'),
        sqlPerRequestUnderLoad: of('sqlPerRequest'),
        bytesPerResponse: of('bytesPerResponse'),
        loadGeneratorCpuPercent: of('loadGeneratorCpuPercent'),
        otherCpuPercentOfMachine: of('otherCpuPercentOfMachine'),
      };
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const commit = gitCommit();
  const mode = options.canned ? 'canned' : options.embedded ? 'sqlite' : 'mysql';
  const result = {
    meta: {
      date,
      commit,
      dirty: (() => {
        try {
          return execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim().length > 0;
        } catch {
          return null;
        }
      })(),
      mode,
      quick: options.quick,
      connections: options.connections,
      durationSeconds: options.duration,
      rounds: options.rounds,
      warmupSeconds: options.warmup,
      pinned,
      node: process.versions.node,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: proc.CORES,
      minutes: Number(((Date.now() - startedAt) / 60_000).toFixed(1)),
      versions: {
        '@apollo/gateway': packageVersion('@apollo/gateway'),
        '@apollo/server': packageVersion('@apollo/server'),
        '@graphql-hive/gateway': packageVersion('@graphql-hive/gateway'),
        autocannon: packageVersion('autocannon'),
      },
      readerUser: READER_USER,
    },
    routers: options.routers,
    operations: operations.map((op) => ({ name: op.name, title: op.title, kind: op.kind, user: op.user })),
    counts: pass.counts,
    references: Object.fromEntries(Object.entries(pass.references).map(([name, ref]) => [name, { bytes: ref.bytes }])),
    summary,
    runs,
    problems: pass.problems,
  };
  const suffix = [
    options.canned ? 'canned' : null,
    options.embedded ? 'sqlite' : null,
    options.distinct ? 'distinct' : null,
    options.quick ? 'quick' : null,
  ].filter(Boolean);
  const base = path.join(options.out, [date, commit, ...suffix].join('-'));
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, report.markdown(result));
  fs.writeFileSync(`${base}.svg`, report.svg(result));
  process.stdout.write(`\n${report.markdown(result)}\n`);
  log(`results: ${path.relative(process.cwd(), base)}.{json,md,svg} (${result.meta.minutes} min)`);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    proc.stopAll().finally(() => process.exit(130));
  });
}

main().then(
  () => agent.close(),
  async (error) => {
    process.stderr.write(`\n[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await proc.stopAll();
    process.exit(1);
  },
);
