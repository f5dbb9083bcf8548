/**
 * A proxy between a router and its subgraphs (`/<subgraph>/…` → that subgraph) that records every answer by its
 * request (`lib/recordings.js`: path, identity headers, body), for canned mode, and, while `state.logging` is
 * on, logs every request with its timing: what the unmeasured pass counts and how the floor's stages are found.
 */
const http = require('node:http');
const { request } = require('undici');
const { PORTS } = require('./config');
const { agent } = require('./http');
const { subgraphRequestKey } = require('./recordings');

const HOP_BY_HOP = ['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding'];

/**
 * Listens on PORTS.proxy. `state.recordings` maps a request's key to its answer `{ status, contentType,
 * contentEncoding, body }` (a Buffer); `state.log` collects entries while `state.logging` is true (the caller
 * empties it between requests); with `state.answerRecorded` a request already recorded is answered from the
 * recording without reaching the subgraph (the same request from another router, in the same pass).
 */
function startRecordingProxy() {
  const state = { recordings: new Map(), log: [], logging: true, answerRecorded: false, forwarded: 0 };
  const base = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - base) / 1e6;
  const answer = (res, recorded) => {
    const out = { 'content-type': recorded.contentType, 'content-length': recorded.body.length };
    if (recorded.contentEncoding) out['content-encoding'] = recorded.contentEncoding;
    res.writeHead(recorded.status, out);
    res.end(recorded.body);
  };
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
      for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.includes(name)) headers[name] = value;
      const key = subgraphRequestKey(req.url, req.headers, body);
      const known = state.answerRecorded ? state.recordings.get(key) : undefined;
      if (known) {
        answer(res, known);
        return;
      }
      const entry = { subgraph, path: req.url, headers, body: body.toString('utf8'), start: now() };
      try {
        state.forwarded += 1;
        const response = await request(`http://127.0.0.1:${PORTS[subgraph]}${rest}`, {
          method: req.method,
          headers,
          body,
          dispatcher: agent,
        });
        const recorded = {
          status: response.statusCode,
          contentType: response.headers['content-type'] ?? 'application/json',
          contentEncoding: response.headers['content-encoding'] ?? null,
          body: Buffer.from(await response.body.arrayBuffer()),
        };
        entry.end = now();
        state.recordings.set(key, recorded);
        if (state.logging) state.log.push(entry);
        answer(res, recorded);
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

/** The recordings as lines for `routers/canned.js` (`writeJsonLines`). */
function* cannedLines(recordings) {
  for (const [key, recorded] of recordings) {
    const { status, contentType, contentEncoding, body } = recorded;
    // A compressed answer's bytes are not text: base64.
    yield contentEncoding
      ? { key, status, contentType, contentEncoding, bodyBase64: body.toString('base64') }
      : { key, status, contentType, body: body.toString('utf8') };
  }
}

module.exports = { startRecordingProxy, stagesOf, cannedLines };
