/**
 * The bench's databases (`bench_large_*`, on MySQL or SQLite files): seeded with the large data set once, and
 * read for the users `--distinct` rotates over (MySQL or SQLite).
 */
const fs = require('node:fs');
const path = require('node:path');
const { baseEnv, DATABASE_NAME_PREFIX, databaseEnv, fromRoot, ROOT, rootPackage } = require('./config');
const { run } = require('./build');
const { log } = require('./log');

/** The large scale of `npm run seed`: what a seeded bench database holds. */
const SEED = { users: 10_000, products: 100_000, orders: 200_000 };

/** The database config of subgraph `name` for this run, as the subgraph itself reads it. */
function databaseOf(options, name) {
  const { readDatabaseConfig } = fromRoot('shared');
  return readDatabaseConfig(databaseEnv(options), name);
}

/** Runs `work` on a connection to the MySQL database of `config`, and closes it. */
async function withMysql(config, work) {
  const mysql = rootPackage('mysql2/promise');
  const connection = await mysql.createConnection({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
  });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** Runs one read-only statement on the database of `config` (MySQL or a SQLite file); resolves with its rows. */
async function queryRows(config, sql, params = []) {
  if (config.kind === 'mysql') {
    return withMysql(config, async (connection) => (await connection.query(sql, params))[0]);
  }
  const Database = rootPackage('better-sqlite3');
  if (!fs.existsSync(config.file)) throw new Error(`no database file ${config.file}`);
  const db = new Database(config.file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params);
  } finally {
    db.close();
  }
}

/** The first `count` users (by id) with at least `minimum` orders in the bench's order database (for --distinct "my orders"). */
async function usersWithOrders(options, count, minimum) {
  const rows = await queryRows(
    databaseOf(options, 'order'),
    'SELECT user_id FROM orders GROUP BY user_id HAVING COUNT(*) >= ? ORDER BY user_id LIMIT ?',
    [minimum, count],
  );
  return rows.map((row) => String(row.user_id));
}

/** Row counts of the bench databases, or null where a database or table is missing. */
async function seededCounts(options) {
  const queries = {
    users: [databaseOf(options, 'account'), 'SELECT COUNT(*) AS n FROM users'],
    products: [databaseOf(options, 'product'), 'SELECT COUNT(*) AS n FROM product'],
    orders: [databaseOf(options, 'order'), 'SELECT COUNT(*) AS n FROM orders'],
  };
  const counts = {};
  for (const [what, [config, sql]] of Object.entries(queries)) {
    try {
      counts[what] = Number((await queryRows(config, sql))[0].n);
    } catch {
      counts[what] = null;
    }
  }
  return counts;
}

/** Seeds the large data set (`node dist/scripts/seed.js --scale large`) unless it is there already (or --reseed). */
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

module.exports = { ensureSeeded, usersWithOrders };
