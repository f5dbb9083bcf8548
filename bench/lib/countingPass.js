/**
 * The unmeasured pass: each router (but the floor) behind the recording proxy, against the real subgraphs.
 *
 * 1. Counting: each operation's first request, one at a time (three times for a read: the first may meet a cold
 *    cache), gives the subgraph requests and SQL statements per operation.
 * 2. Every variant of every operation once (`lib/operations.js`): the stock gateway's answers are the references
 *    (each variant its own), every other router's answers are checked against them, every subgraph answer is
 *    recorded by its request and caller (for `--canned`), and the stock gateway's answers (with, on real
 *    subgraphs, its subgraph requests in their stages) become the floor's plan.
 */
const crypto = require('node:crypto');
const path = require('node:path');
const { parse } = require('graphql');
const { cannedUrl, proxyUrl, SUBGRAPHS, subgraphUrl, TMP } = require('./config');
const { post } = require('./http');
const { log } = require('./log');
const { normalise } = require('./operations');
const proc = require('./proc');
const { cannedLines, startRecordingProxy, stagesOf } = require('./recordingProxy');
const { clientRequestKey, writeJsonLines } = require('./recordings');
const { identityHeaders, startRouter } = require('./routers');
const { stat } = require('./stats');
const { sqlStatements } = require('./subgraphs');

/** The headers of a captured subgraph request that the floor sends again. */
const REPLAYED_HEADERS = ['content-type', 'accept', 'x-router-credential', 'x-user-id', 'x-user-scopes'];
/** Requests in flight at once while a router answers every variant (when the floor needs no stages). */
const CONCURRENCY = 8;

/** A normalised answer, as kept for every variant: its hash (a thousand users' orders are 40 MB of text). */
const answerHash = (normalised) => (normalised === null ? null : crypto.createHash('sha1').update(normalised).digest('hex'));

/** Whether a captured subgraph request is a query (which the floor may share between identical ones in flight). */
function isQuery(body) {
  try {
    const { query } = JSON.parse(body);
    const operation = parse(query).definitions.find((definition) => definition.kind === 'OperationDefinition');
    return operation?.operation === 'query';
  } catch {
    return false;
  }
}

/**
 * Posts a request of the pass; a 503 (our router sheds load while its event loop lags, as on a machine busy with
 * other work) is tried again after a pause, up to 5 times. `retries.count` counts the retries.
 */
async function postPatiently(url, body, headers, retries) {
  for (let attempt = 1; ; attempt++) {
    const response = await post(url, body, headers);
    if (response.status !== 503 || attempt === 5) return response;
    retries.count += 1;
    await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
  }
}

/** Calls `work(item, index)` for every item, at most `limit` at a time. */
async function eachLimited(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Resolves with `{ counts, references, problems, floorPlanFile, cannedFile }`: counts per router and operation;
 * per operation the reference answers (`hashes`, one per variant, and the first one's size); what went wrong; and
 * the files of the floor's plan and of the canned answers.
 */
async function countingPass(options, operations) {
  log('unmeasured pass: subgraph requests and SQL statements per operation, every variant answered, references, recordings');
  const proxy = await startRecordingProxy();
  const counts = {};
  const references = {};
  const floorPlan = [];
  const problems = [];
  const passRouters = options.routers.filter((r) => r !== 'floor');
  // The stock gateway goes first: its answers are the references.
  passRouters.sort((a, b) => (a === 'stock' ? -1 : b === 'stock' ? 1 : 0));
  // On real subgraphs the floor replays the stock gateway's subgraph requests, whose stages show only one request at a time.
  const floorReplays = options.routers.includes('floor') && !options.canned;
  const urlOf = options.canned ? cannedUrl : subgraphUrl;
  try {
    for (const routerName of passRouters) {
      const router = await startRouter(routerName, proxyUrl, 'proxy', options);
      const isReference = routerName === passRouters[0];
      counts[routerName] = {};
      try {
        for (const op of operations) {
          const headersOf = (variant) => identityHeaders(routerName, variant.user);
          // 1. Counting, one request at a time, every subgraph request reaching the subgraph.
          proxy.state.answerRecorded = false;
          proxy.state.logging = true;
          const perRequest = [];
          const counted = op.kind === 'read' ? [op.variants[0], op.variants[0], op.variants[0]] : op.variants.slice(0, 3);
          let firstBytes = null;
          for (const variant of counted) {
            proxy.state.log = [];
            const sqlBefore = options.canned ? null : await sqlStatements().catch(() => null);
            const response = await post(router.url, variant.body, await headersOf(variant));
            const sqlAfter = options.canned ? null : await sqlStatements().catch(() => null);
            firstBytes ??= Buffer.byteLength(response.text);
            const entries = proxy.state.log;
            perRequest.push({
              subgraphRequests: entries.length,
              bySubgraph: Object.fromEntries(SUBGRAPHS.map((s) => [s, entries.filter((e) => e.subgraph === s).length])),
              sql: sqlBefore === null || sqlAfter === null ? null : sqlAfter - sqlBefore,
            });
          }
          const median = (key) => stat(perRequest.map((r) => r[key]))?.median ?? null;
          counts[routerName][op.name] = {
            subgraphRequests: median('subgraphRequests'),
            sqlStatements: median('sql'),
            bySubgraph: perRequest[perRequest.length - 1].bySubgraph,
            responseBytes: firstBytes,
          };

          // 2. Every variant once: references, comparisons, recordings, the floor's plan.
          const sequential = floorReplays && routerName === 'stock';
          // A request another router already made is answered from its recording: the same answer, sooner.
          proxy.state.answerRecorded = !isReference;
          proxy.state.logging = sequential;
          const started = Date.now();
          const forwardedBefore = proxy.state.forwarded;
          const hashes = new Array(op.variants.length).fill(null);
          const failures = [];
          const retries = { count: 0 };
          await eachLimited(op.variants, sequential ? 1 : CONCURRENCY, async (variant, index) => {
            proxy.state.log = [];
            const response = await postPatiently(router.url, variant.body, await headersOf(variant), retries);
            const normalised = response.status === 200 ? normalise(response.text, op.compare) : null;
            hashes[index] = answerHash(normalised);
            if (normalised === null) failures.push(`variant ${index} answered ${response.status} ${response.text.slice(0, 200)}`);
            if (routerName === 'stock' && options.routers.includes('floor')) {
              floorPlan.push({
                key: clientRequestKey(variant.user ?? '', variant.body),
                response: response.text,
                stages: sequential ? floorStages(proxy.state.log, urlOf) : null,
              });
            }
          });
          if (failures.length > 0) problems.push(`${routerName} × ${op.name}: ${failures.length} requests failed (${failures[0]})`);
          if (isReference) {
            references[op.name] = { hashes, bytes: firstBytes };
          } else if (references[op.name]) {
            const differing = hashes.map((hash, index) => (hash !== null && hash !== references[op.name].hashes[index] ? index : -1));
            const indexes = differing.filter((index) => index >= 0);
            if (indexes.length > 0) {
              problems.push(
                `${routerName} × ${op.name}: ${indexes.length} of ${hashes.length} answers differ from ${passRouters[0]}'s (first: variant ${indexes[0]})`,
              );
            }
          }
          const c = counts[routerName][op.name];
          log(
            `  ${routerName.padEnd(5)} ${op.name.padEnd(13)} ${c.subgraphRequests} subgraph requests ` +
              `(${SUBGRAPHS.map((s) => `${s} ${c.bySubgraph[s]}`).join(', ')}), ${c.sqlStatements ?? '?'} SQL statements, ` +
              `${(c.responseBytes / 1024).toFixed(1)} KB; ${op.variants.length} variants answered in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
              `(${proxy.state.forwarded - forwardedBefore} subgraph requests forwarded${retries.count > 0 ? `, ${retries.count} retried after a 503` : ''})`,
          );
        }
      } finally {
        await proc.stop(router.entry);
      }
    }
  } finally {
    await new Promise((resolve) => proxy.server.close(resolve));
  }
  if (options.routers.includes('floor')) {
    counts.floor = {};
    // Canned, the floor sends the recorded answer without a subgraph request; else it makes the stock gateway's.
    const none = { subgraphRequests: 0, sqlStatements: null, bySubgraph: Object.fromEntries(SUBGRAPHS.map((s) => [s, 0])) };
    for (const op of operations)
      counts.floor[op.name] = options.canned ? { ...none, responseBytes: counts.stock[op.name].responseBytes } : counts.stock[op.name];
  }
  const floorPlanFile = path.join(TMP, `floor-plan-${options.canned ? 'canned' : 'direct'}.jsonl`);
  writeJsonLines(floorPlanFile, floorPlan);
  const cannedFile = path.join(TMP, 'canned.jsonl');
  if (options.canned) writeJsonLines(cannedFile, cannedLines(proxy.state.recordings));
  log(`recorded ${proxy.state.recordings.size} subgraph answers, ${floorPlan.length} floor answers`);
  return { counts, references, problems, floorPlanFile, cannedFile };
}

/** The stock gateway's subgraph requests for one client request, in stages, as the floor sends them again. */
function floorStages(entries, urlOf) {
  return stagesOf(entries).map((stage) =>
    stage.map((entry) => ({
      url: urlOf(entry.subgraph),
      headers: Object.fromEntries(Object.entries(entry.headers).filter(([name]) => REPLAYED_HEADERS.includes(name))),
      body: entry.body,
      query: isQuery(entry.body),
    })),
  );
}

module.exports = { countingPass };
