/**
 * The floor: no GraphQL at all. It answers each client request with the stock gateway's recorded response to the
 * same request (the same body from the same user: `x-user-id`), in one of two ways:
 *
 * - **respond** (with canned subgraphs): it sends the recorded final response at once, without federating:
 *   HTTP in, a lookup, HTTP out, the least any Node router could spend on a request.
 * - **replay** (with real subgraphs): first it makes exactly the subgraph requests the stock gateway made for
 *   that request, in the same stages (requests the gateway had in flight together go out together; a stage
 *   starts when the previous one has answered), and reads every answer. Identical queries of the same caller in
 *   flight at the same time share one call, as our router's `ROUTER_DEDUPLICATE_QUERIES` does (never a mutation):
 *   on identical requests the floor saves the same subgraph work ours does, so the two compare.
 *
 * The plan (`BENCH_FLOOR_PLAN`, JSON lines) has an entry per recorded request: `{ key, response, stages }`,
 * `stages` null in respond mode. A request without an entry is a 404 (and makes the run invalid).
 *
 *   BENCH_FLOOR_PLAN=plan.jsonl BENCH_PORT=5160 node routers/floor.js
 */
const http = require('node:http');
const { Agent, request } = require('undici');
const { clientRequestKey, IDENTITY_HEADERS, readJsonLines } = require('../lib/recordings');

const agent = new Agent({ connections: 128, keepAliveTimeout: 4_000, pipelining: 1 });
const entries = new Map();
/** Subgraph calls in flight, by what makes two of them identical; each resolves when its answer is read. */
const inFlight = new Map();

async function fetchOne(sub) {
  const response = await request(sub.url, { method: 'POST', headers: sub.headers, body: sub.body, dispatcher: agent });
  await response.body.arrayBuffer();
  if (response.statusCode >= 300) throw new Error(`subgraph answered ${response.statusCode}`);
}

function fetchShared(sub) {
  if (sub.shareKey === null) return fetchOne(sub);
  const pending = inFlight.get(sub.shareKey);
  if (pending) return pending;
  const call = fetchOne(sub).finally(() => inFlight.delete(sub.shareKey));
  inFlight.set(sub.shareKey, call);
  return call;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    const user = req.headers['x-user-id'];
    const entry = entries.get(clientRequestKey(typeof user === 'string' ? user : '', Buffer.concat(chunks)));
    if (!entry) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"message":"no floor plan for this request"}]}');
      return;
    }
    try {
      if (entry.stages) for (const stage of entry.stages) await Promise.all(stage.map(fetchShared));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': entry.response.length });
      res.end(entry.response);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: String(error) }] }));
    }
  });
});
server.keepAliveTimeout = 65_000;

readJsonLines(process.env.BENCH_FLOOR_PLAN, (entry) => {
  const stages =
    entry.stages?.map((stage) =>
      stage.map((sub) => ({
        url: sub.url,
        headers: sub.headers,
        body: Buffer.from(sub.body),
        // Same subgraph, same caller, same body: the key our router's deduplication uses. Queries only.
        shareKey: sub.query ? [sub.url, ...IDENTITY_HEADERS.map((name) => sub.headers[name] ?? ''), sub.body].join('\n') : null,
      })),
    ) ?? null;
  entries.set(entry.key, { response: Buffer.from(entry.response), stages });
}).then(
  () =>
    server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', () =>
      process.stderr.write(`floor ready on port ${server.address().port}: ${entries.size} requests\n`),
    ),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
