/**
 * The unmeasured pass: each router (but the floor) behind the recording proxy, every operation sent one at a
 * time. It counts subgraph requests and SQL statements per operation, takes the stock gateway's answer as the
 * reference and checks every router's against it, records every subgraph answer (for `--canned`) and captures
 * the stock gateway's subgraph requests with their stages (the floor replays them).
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { cannedUrl, proxyUrl, SUBGRAPHS, subgraphUrl, TMP } = require('./config');
const { post } = require('./http');
const { log } = require('./log');
const { normalise } = require('./operations');
const proc = require('./proc');
const { startRecordingProxy, stagesOf } = require('./recordingProxy');
const { identityHeaders, startRouter } = require('./routers');
const { stat } = require('./stats');
const { sqlStatements } = require('./subgraphs');

const sha1 = (...parts) => {
  const hash = crypto.createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/** The headers of a captured subgraph request that the floor sends again. */
const REPLAYED_HEADERS = ['content-type', 'accept', 'x-router-credential', 'x-user-id', 'x-user-scopes'];

/**
 * Resolves with `{ counts, references, problems, floorPlanFile, cannedFile }`: counts per router and operation,
 * the reference answer of each operation (normalised), what went wrong, and the recordings' files.
 */
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
                    headers: Object.fromEntries(Object.entries(e.headers).filter(([name]) => REPLAYED_HEADERS.includes(name))),
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

module.exports = { countingPass };
