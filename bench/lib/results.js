/**
 * The results of a bench: per operation and router, the median (min–max) of the valid runs; with the run's
 * settings, the machine and the versions; written as `<date>-<commit>[-canned|-sqlite][-distinct][-quick]`
 * `.json` (everything), `.md` (the table) and `.svg` (the chart).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BENCH_DIR } = require('./config');
const { gitCommit, gitDirty } = require('./build');
const { log } = require('./log');
const { READER_USER } = require('./operations');
const proc = require('./proc');
const { ratiosToStock } = require('./ratios');
const report = require('./report');
const { stat } = require('./stats');

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [BENCH_DIR] }), 'utf8')).version;
  } catch {
    return null;
  }
}

/** Per operation and router: how many runs, how many valid, and each figure over the valid ones. */
function summarise(runs, operations, routers) {
  const summary = {};
  for (const op of operations) {
    summary[op.name] = {};
    for (const router of routers) {
      const mine = runs.filter((r) => r.operation === op.name && r.router === router);
      const valid = mine.filter((r) => r.valid);
      const of = (key) => stat(valid.map((r) => r[key]));
      summary[op.name][router] = {
        runs: mine.length,
        validRuns: valid.length,
        rps: of('rps'),
        p50: of('p50'),
        p95: of('p95'),
        p99: of('p99'),
        cpuMsPerRequest: of('cpuMsPerRequest'),
        subgraphCpuMsPerRequest: of('subgraphCpuMsPerRequest'),
        peakRssMb: of('peakRssMb'),
        sqlPerRequestUnderLoad: of('sqlPerRequest'),
        bytesPerResponse: of('bytesPerResponse'),
        loadGeneratorCpuPercent: of('loadGeneratorCpuPercent'),
        otherCpuPercentOfMachine: of('otherCpuPercentOfMachine'),
        repeatsWithinSecond: of('repeatsWithinSecond'),
      };
    }
  }
  return summary;
}

/** Writes the result files and prints the table; `startedAt` (ms) gives the bench's duration. */
function writeResults({ options, operations, pass, runs, pinned, startedAt }) {
  const date = new Date().toISOString().slice(0, 10);
  const commit = gitCommit();
  const mode = options.canned ? 'canned' : options.embedded ? 'sqlite' : 'mysql';
  const summary = summarise(runs, operations, options.routers);
  const result = {
    meta: {
      date,
      commit,
      dirty: gitDirty(),
      mode,
      quick: options.quick,
      connections: options.connections,
      durationSeconds: options.duration,
      rounds: options.rounds,
      warmupSeconds: options.warmup,
      pinned,
      node: process.versions.node,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: proc.CORES,
      minutes: Number(((Date.now() - startedAt) / 60_000).toFixed(1)),
      versions: {
        '@apollo/gateway': packageVersion('@apollo/gateway'),
        '@apollo/server': packageVersion('@apollo/server'),
        '@graphql-hive/gateway': packageVersion('@graphql-hive/gateway'),
        autocannon: packageVersion('autocannon'),
      },
      readerUser: READER_USER,
      distinct: options.distinct,
    },
    routers: options.routers,
    operations: operations.map((op) => ({ name: op.name, title: op.title, kind: op.kind, variants: op.variants.length })),
    counts: pass.counts,
    references: Object.fromEntries(Object.entries(pass.references).map(([name, ref]) => [name, { bytes: ref.bytes }])),
    summary,
    ratios: ratiosToStock(summary, operations, options.routers),
    runs,
    problems: pass.problems,
  };
  const suffix = [
    options.canned ? 'canned' : null,
    options.embedded ? 'sqlite' : null,
    options.distinct ? 'distinct' : null,
    options.quick ? 'quick' : null,
  ].filter(Boolean);
  const base = path.join(options.out, [date, commit, ...suffix].join('-'));
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, report.markdown(result));
  fs.writeFileSync(`${base}.svg`, report.svg(result));
  process.stdout.write(`\n${report.markdown(result)}\n`);
  log(`results: ${path.relative(process.cwd(), base)}.{json,md,svg} (${result.meta.minutes} min)`);
}

/** `--report results/x.json`: writes x.md and x.svg again from the JSON (after a change to the report). */
function rewriteReport(file) {
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  const base = file.replace(/\.json$/, '');
  fs.writeFileSync(`${base}.md`, report.markdown(result));
  fs.writeFileSync(`${base}.svg`, report.svg(result));
  log(`rewrote ${base}.{md,svg}`);
}

module.exports = { writeResults, rewriteReport };
