/**
 * Canned subgraphs: answers each subgraph request with the response the real subgraph gave to the same request
 * (recorded in an unmeasured pass), so that routers can be measured without the subgraphs and the database
 * competing for the CPU. A request is the same when its path, its body and its identity headers are
 * (`lib/recordings.js`: "my orders" asks the account subgraph the same body for every user). One process serves
 * all three, at /<subgraph>/graphql. An unrecorded request is a 500 (and makes the router's run invalid);
 * `GET /` says how many there were.
 *
 *   BENCH_CANNED=recordings.jsonl BENCH_PORT=5110 node routers/canned.js
 */
const http = require('node:http');
const { readJsonLines, subgraphRequestKey } = require('../lib/recordings');

const entries = new Map();
let misses = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ready', entries: entries.size, misses }));
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const entry = entries.get(subgraphRequestKey(req.url, req.headers, Buffer.concat(chunks)));
    if (!entry) {
      misses += 1;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"errors":[{"message":"no canned response for this request"}]}');
      return;
    }
    res.writeHead(entry.status, entry.headers);
    res.end(entry.body);
  });
});
server.keepAliveTimeout = 65_000;

readJsonLines(process.env.BENCH_CANNED, (entry) => {
  // A compressed answer is recorded in base64 (its bytes are not text).
  const body = entry.bodyBase64 === undefined ? Buffer.from(entry.body) : Buffer.from(entry.bodyBase64, 'base64');
  const headers = { 'content-type': entry.contentType, 'content-length': body.length };
  if (entry.contentEncoding) headers['content-encoding'] = entry.contentEncoding;
  entries.set(entry.key, { status: entry.status, headers, body });
}).then(
  () =>
    server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () =>
      process.stderr.write(`canned subgraphs ready on port ${server.address().port}: ${entries.size} answers\n`),
    ),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
