/**
 * Where everything is: the root project, the bench's scratch folder, the ports it listens on, the secret its
 * processes share, and the environment each process it starts gets (nothing else of this process's own).
 */
const os = require('node:os');
const path = require('node:path');

const BENCH_DIR = path.resolve(__dirname, '..');
const ROOT = path.resolve(BENCH_DIR, '..');
const TMP = path.join(BENCH_DIR, '.tmp');
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

const subgraphUrl = (name) => `http://127.0.0.1:${PORTS[name]}/graphql`;
const proxyUrl = (name) => `http://127.0.0.1:${PORTS.proxy}/${name}/graphql`;
const cannedUrl = (name) => `http://127.0.0.1:${PORTS.canned}/${name}/graphql`;

/** A module of the root project's build (`fromRoot('router')`): the bench drives the compiled code. */
const fromRoot = (...segments) => require(path.join(ROOT, 'dist', ...segments));
/** A package of the root project's dependencies (mysql2, better-sqlite3), not of the bench's. */
const rootPackage = (id) => require(require.resolve(id, { paths: [ROOT] }));

/** The environment every subgraph (and the seed, and our router's usage store) gets. */
function databaseEnv(options) {
  if (options.embedded) return { DATA_DIR: path.join(BENCH_DIR, '.data'), DATABASE_NAME_PREFIX };
  return { DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306', DATABASE_NAME_PREFIX };
}

/**
 * Production mode and nothing else of this process's environment: what our router under test starts from. Apollo's
 * usage telemetry is off for every router built on @apollo/gateway (ours turns it off by default; stock would
 * otherwise export metrics to Apollo and probe cloud metadata endpoints), so both do the same work.
 */
function productionEnv(extra) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.homedir(),
    NODE_ENV: 'production',
    APOLLO_TELEMETRY_DISABLED: 'true',
    ...extra,
  };
}

/** The environment of every other process the bench starts: production mode, warnings only. */
function baseEnv(extra) {
  return productionEnv({ LOG_LEVEL: 'warn', ...extra });
}

module.exports = {
  BENCH_DIR,
  ROOT,
  TMP,
  SUBGRAPHS,
  PORTS,
  SECRET,
  DATABASE_NAME_PREFIX,
  subgraphUrl,
  proxyUrl,
  cannedUrl,
  fromRoot,
  rootPackage,
  databaseEnv,
  productionEnv,
  baseEnv,
};
