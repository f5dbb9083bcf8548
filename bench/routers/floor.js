/**
 * The floor: no GraphQL at all. For each operation it makes exactly the subgraph requests the stock gateway
 * made for it (captured once, in an unmeasured pass), in the same stages (requests the gateway had in
 * flight together go out together; a stage starts when the previous one has answered), reads every answer,
 * and returns the stock gateway's response. What is left is the cost of HTTP in, HTTP out and the
 * subgraphs themselves: the least any Node router could spend on the operation.
 *
 *   BENCH_FLOOR_PLAN=plan.json BENCH_PORT=5160 node routers/floor.js
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const { Agent, request } = require('undici');

const plan = JSON.parse(fs.readFileSync(process.env.BENCH_FLOOR_PLAN, 'utf8'));
const agent = new Agent({ connections: 128, keepAliveTimeout: 4_000, pipelining: 1 });
const entries = new Map(
  Object.entries(plan.byBodyHash).map(([hash, entry]) => [
    hash,
    { response: Buffer.from(entry.response), stages: entry.stages.map((stage) => stage.map((r) => ({ ...r, body: Buffer.from(r.body) }))) },
  ]),
);

async function fetchOne(sub) {
  const response = await request(sub.url, { method: 'POST', headers: sub.headers, body: sub.body, dispatcher: agent });
  await response.body.arrayBuffer();
  if (response.statusCode >= 300) throw new Error(`subgraph answered ${response.statusCode}`);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    const hash = crypto.createHash('sha1').update(Buffer.concat(chunks)).digest('hex');
    const entry = entries.get(hash);
    if (!entry) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"message":"no floor plan for this request body"}]}');
      return;
    }
    try {
      for (const stage of entry.stages) await Promise.all(stage.map(fetchOne));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': entry.response.length });
      res.end(entry.response);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: String(error) }] }));
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () => process.stderr.write('floor ready\n'));
