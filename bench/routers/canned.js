/**
 * Canned subgraphs: answers each subgraph request with the response the real subgraph gave to the same
 * request body (recorded once, in an unmeasured pass), so that routers can be measured without the
 * subgraphs and the database competing for the CPU. One process serves all three, at /<subgraph>/graphql.
 * An unrecorded request is a 500 (and makes the router's run invalid).
 *
 *   BENCH_CANNED=recordings.json BENCH_PORT=5110 node routers/canned.js
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');

const recordings = JSON.parse(fs.readFileSync(process.env.BENCH_CANNED, 'utf8'));
const entries = new Map(Object.entries(recordings.byKey).map(([key, entry]) => [key, { ...entry, body: Buffer.from(entry.body) }]));
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
    const key = crypto.createHash('sha1').update(req.url).update('\n').update(Buffer.concat(chunks)).digest('hex');
    const entry = entries.get(key);
    if (!entry) {
      misses += 1;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"errors":[{"message":"no canned response for this request"}]}');
      return;
    }
    res.writeHead(entry.status, { 'content-type': entry.contentType, 'content-length': entry.body.length });
    res.end(entry.body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => process.stderr.write('canned subgraphs ready\n'));
