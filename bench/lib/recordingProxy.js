/**
 * A proxy between a router and its subgraphs (`/<subgraph>/…` → that subgraph) that records every request and
 * answer with its timing: what the unmeasured pass counts, what canned mode replays and what the floor replays.
 */
const http = require('node:http');
const { request } = require('undici');
const { PORTS } = require('./config');
const { agent } = require('./http');

/** Listens on PORTS.proxy; `state.log` collects the entries (the caller empties it between requests). */
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

module.exports = { startRecordingProxy, stagesOf };
