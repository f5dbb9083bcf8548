/**
 * Preloaded into each subgraph process (`node -r bench/lib/countSql.js dist/subgraphs/<name>/main.js`):
 * counts every SQL statement the process sends, at the driver's prototypes (mysql2 connections,
 * better-sqlite3 statements), and answers `GET /` on BENCH_SQL_COUNTER_PORT with `{"statements": N}`.
 * One integer increment per statement: no measurable cost next to the statement itself.
 */
const http = require('node:http');
const path = require('node:path');

const root = process.env.BENCH_PROJECT_ROOT || path.resolve(__dirname, '..', '..');
const fromRoot = (id) => require.resolve(id, { paths: [root] });
let statements = 0;

function wrap(target, method) {
  const original = target[method];
  if (typeof original !== 'function' || original.benchCounted) return;
  const counted = function (...args) {
    statements += 1;
    return original.apply(this, args);
  };
  counted.benchCounted = true;
  target[method] = counted;
}

try {
  const BaseConnection = require(path.join(path.dirname(fromRoot('mysql2')), 'lib', 'base', 'connection.js'));
  wrap(BaseConnection.prototype, 'query');
  wrap(BaseConnection.prototype, 'execute');
} catch {
  // no mysql2 here
}
try {
  const Database = require(fromRoot('better-sqlite3'));
  const scratch = new Database(':memory:');
  const Statement = Object.getPrototypeOf(scratch.prepare('SELECT 1'));
  for (const method of ['run', 'all', 'get', 'iterate']) wrap(Statement, method);
  wrap(Database.prototype, 'exec');
  scratch.close();
} catch {
  // no better-sqlite3 here
}

const port = Number(process.env.BENCH_SQL_COUNTER_PORT);
if (port) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ statements }));
  });
  server.listen(port, '127.0.0.1');
  server.unref();
}
