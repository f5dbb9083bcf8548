/**
 * `npm run bench` (in bench/): our router beside stock @apollo/gateway, Hive Gateway and the floor (no GraphQL:
 * the stock gateway's recorded answer to each request), on the same subgraphs, supergraph and load. See README.md.
 *
 *   npm run bench -- [--quick] [--distinct] [--canned] [--embedded] [--duration 10] [--rounds 3] [--connections 32]
 *                    [--warmup 5] [--routers ours,stock,hive,floor] [--operations productList,productDetail,myOrders,checkout]
 *                    [--no-build] [--reseed] [--reuse-pass] [--out results]
 *   node bench.js --report results/<file>.json    (rewrites the .md and .svg from the .json)
 *   node bench.js --replicas [options]              (read replicas off and on: replicas.js)
 *   node bench.js --cache [options]                 (entity cache off, memory, redis, and stock: cache.js)
 *
 * This file is the run's outline; each step lives in lib/.
 */
const fs = require('node:fs');
const path = require('node:path');
const { buildRoot } = require('./lib/build');
const { cannedUrl, PORTS, subgraphUrl, TMP } = require('./lib/config');
const { countingPass } = require('./lib/countingPass');
const { ensureSeeded, usersWithOrders } = require('./lib/database');
const { agent } = require('./lib/http');
const { log } = require('./lib/log');
const { measureRounds } = require('./lib/measure');
const { needsOf, OPERATIONS } = require('./lib/operations');
const { parseOptions } = require('./lib/options');
const proc = require('./lib/proc');
const { rewriteReport, writeResults } = require('./lib/results');
const { identityHeaders, startRouter } = require('./lib/routers');
const { listingCursors, startCanned, startSubgraphs, topUpCheckoutStock } = require('./lib/subgraphs');

async function main() {
  if (process.argv.includes('--replicas')) return require('./replicas').runReplicaBench(process.argv.slice(2));
  if (process.argv.includes('--cache')) return require('./cache').runCacheBench(process.argv.slice(2));
  const reportIndex = process.argv.indexOf('--report');
  if (reportIndex > 0) return rewriteReport(path.resolve(process.argv[reportIndex + 1]));
  const options = parseOptions(process.argv.slice(2));
  fs.mkdirSync(TMP, { recursive: true });
  fs.mkdirSync(options.out, { recursive: true });
  const startedAt = Date.now();

  // 1. The root project, built; the large data set, seeded once.
  const buildProblem = buildRoot(options);
  await ensureSeeded(options);

  // 2. The subgraphs, and stock for checkout to buy.
  log(`starting the subgraphs on ${options.embedded ? 'SQLite' : 'MySQL'} (ports ${PORTS.account}-${PORTS.order})`);
  const subgraphs = await startSubgraphs(options);
  const selected = OPERATIONS.filter((op) => options.operations.includes(op.name));
  if (selected.some((op) => op.name === 'checkout')) await topUpCheckoutStock();
  // The requests each operation rotates over; --distinct needs users and catalog pages from the data.
  const needs = needsOf(selected, options);
  const inputs = {
    users: needs.users > 0 ? await usersWithOrders(options, needs.users, 20) : [],
    listingCursors: needs.listingPages > 0 ? await listingCursors(needs.listingPages) : [],
  };
  const operations = selected.map((op) => ({ ...op, variants: op.variants(options, inputs) }));
  log(`requests per operation: ${operations.map((op) => `${op.name} ${op.variants.length}`).join(', ')}`);

  // 3. The unmeasured pass: counts, references, recordings.
  const pass = await passOf(options, operations);
  if (buildProblem) pass.problems.unshift(buildProblem);
  for (const problem of pass.problems) log(`PROBLEM ${problem}`);

  // 4. Canned mode: the recordings stand in for the subgraphs, which are not needed any more (they would only sit in memory).
  let canned = null;
  if (options.canned) {
    canned = await startCanned(pass.cannedFile);
    for (const entry of Object.values(subgraphs)) await proc.stop(entry);
  }
  const urlOf = options.canned ? cannedUrl : subgraphUrl;
  const subgraphPids = options.canned ? [canned.pid] : Object.values(subgraphs).map((s) => s.pid);

  // 5. The routers to measure, on core 1; the load generator (this process) on core 0.
  const pinned = proc.pinSelf('0');
  log(`load generator ${pinned ? 'pinned to core 0, routers to core 1' : 'not pinned (taskset missing or one core)'}`);
  const routers = {};
  for (const name of options.routers) {
    routers[name] = await startRouter(name, urlOf, options.canned ? 'canned' : 'direct', options, pass.floorPlanFile);
  }
  // The identity headers of every variant, as each router expects them (our router: a signed token).
  const headers = {};
  for (const name of options.routers) {
    headers[name] = {};
    for (const op of operations)
      headers[name][op.name] = await Promise.all(op.variants.map((variant) => identityHeaders(name, variant.user)));
  }

  // 6. The measured runs.
  const runs = await measureRounds({ options, operations, routers, headers, references: pass.references, subgraphPids });

  for (const router of Object.values(routers)) await proc.stop(router.entry);
  if (canned) await proc.stop(canned);
  for (const entry of Object.values(subgraphs)) await proc.stop(entry);

  // 7. The results.
  writeResults({ options, operations, pass, runs, pinned, startedAt });
}

/**
 * The unmeasured pass, or with `--reuse-pass` the one a previous run of the same options saved (its references and
 * recordings): for iterating on a change to our router without recording again. A run that reuses a pass says so
 * in its problems, so its results are never taken for a full run's.
 */
async function passOf(options, operations) {
  const key = [
    'pass',
    options.canned ? 'canned' : 'direct',
    options.distinct ? 'distinct' : 'same',
    ...operations.map((op) => op.name),
    ...options.routers,
  ];
  const saved = path.join(TMP, `${key.join('-')}.json`);
  if (options.reusePass && fs.existsSync(saved)) {
    const pass = JSON.parse(fs.readFileSync(saved, 'utf8'));
    if (fs.existsSync(pass.cannedFile) || !options.canned) {
      log(`reusing the unmeasured pass of ${saved}`);
      pass.problems.push(`reused the unmeasured pass of ${path.basename(saved)} (--reuse-pass): not a full run`);
      return pass;
    }
  }
  const pass = await countingPass(options, operations);
  fs.writeFileSync(saved, JSON.stringify(pass));
  return pass;
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    proc.stopAll().finally(() => process.exit(130));
  });
}

main().then(
  () => agent.close(),
  async (error) => {
    process.stderr.write(`\n[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await proc.stopAll();
    process.exit(1);
  },
);
