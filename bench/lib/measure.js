/**
 * The measured runs: closed-loop load from autocannon (in this process, pinned to core 0) against one router at
 * a time, with the router's CPU and memory, the subgraphs' CPU, the machine's and the SQL statements around each
 * run; and the order of the runs (reads in interleaved rounds, then checkout).
 */
const crypto = require('node:crypto');
const os = require('node:os');
const { performance } = require('node:perf_hooks');
const autocannon = require('autocannon');
const { log } = require('./log');
const { normalise } = require('./operations');
const proc = require('./proc');
const { newRotation, nextVariant } = require('./rotation');
const { refusalsBetween } = require('./refusals');
const { refusalCounts } = require('./routers');
const { percentile } = require('./stats');
const { sqlStatements } = require('./subgraphs');

/** Every how many responses one is compared with the reference (the first of each run always is). */
const SAMPLE_EVERY = 997;

/**
 * One closed-loop run of `op` against `router`: fixed connections, fixed duration, each request the next of the
 * operation's variants (`lib/rotation.js`) with its caller's identity (`headers[variant]`). Every response must be a 2xx
 * without `errors`, the first and every SAMPLE_EVERY-th must match the reference answer of its variant
 * (`references[variant]`, a hash of the normalised answer), and our router must have refused nothing; else the
 * run does not count. Throws when our router refused an operation by demand control: the bench's budget is wrong.
 */
async function measure({ router, op, seconds, connections, headers, references, rotation, subgraphPids, label, record, distinct }) {
  const latencies = [];
  let withErrors = 0;
  let responses = 0;
  let compared = 0;
  let mismatch = null;
  const repeatsBefore = rotation.repeats;
  const variants = op.variants;
  const bodies = variants.map((variant) => Buffer.from(variant.body));
  const requestHeaders = headers.map((identity) => ({ 'content-type': 'application/json', ...identity }));
  const requestOptions = {
    requests: [
      {
        method: 'POST',
        // Requests rotate over the variants; a connection's response comes back to the context of its request.
        setupRequest: (req, context) => {
          const variant = nextVariant(rotation, performance.now());
          context.variant = variant;
          req.body = bodies[variant];
          req.headers = requestHeaders[variant];
          return req;
        },
        onResponse: (_status, body, context) => {
          if (body.includes('"errors"')) withErrors += 1;
          if (responses++ % SAMPLE_EVERY !== 0) return;
          compared += 1;
          const expected = references?.[context.variant];
          if (!expected) {
            mismatch ??= `variant ${context.variant} has no reference (its answer in the unmeasured pass failed)`;
            return;
          }
          const normalised = normalise(body, op.compare);
          const hash = normalised === null ? null : crypto.createHash('sha1').update(normalised).digest('hex');
          if (hash !== expected) mismatch ??= `variant ${context.variant}: ${body.slice(0, 200)}`;
        },
      },
    ],
  };
  const refusalsBefore = await refusalCounts(router);
  const sqlBefore = record && !op.canned ? await sqlStatements().catch(() => null) : null;
  proc.resetPeakRss(router.pid);
  const cpuBefore = proc.cpuMs(router.pid);
  const subgraphCpuBefore = subgraphPids.reduce((sum, pid) => sum + proc.cpuMs(pid), 0);
  const machineBefore = proc.machineCpuMs();
  const selfBefore = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  const instance = autocannon({
    url: router.url,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 30,
    ...requestOptions,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  let ticks = 0;
  let lastCount = 0;
  instance.on('tick', () => {
    ticks += 1;
    const rate = latencies.length - lastCount;
    lastCount = latencies.length;
    const line = `[bench] ${label}: ${Math.max(0, seconds - ticks)} s left, ${rate} req/s`;
    // A terminal gets one line redrawn every second; a log gets a line every 5 s.
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K`);
    else if (ticks % 5 === 0 && ticks < seconds) process.stderr.write(`${line}\n`);
  });
  const result = await new Promise((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  });
  const elapsedSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const repeats = rotation.repeats - repeatsBefore;
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const cpu = proc.cpuMs(router.pid) - cpuBefore;
  const subgraphCpu = subgraphPids.reduce((sum, pid) => sum + proc.cpuMs(pid), 0) - subgraphCpuBefore;
  const peakRss = proc.peakRssMb(router.pid);
  const machineAfter = proc.machineCpuMs();
  const self = process.cpuUsage(selfBefore);
  const machineTotal = machineAfter.total - machineBefore.total;
  const loadGeneratorCpu = (self.user + self.system) / 1000;
  // What else kept the machine busy: MariaDB (ours and anyone's), other test suites, the kernel.
  const otherCpu = machineAfter.busy - machineBefore.busy - cpu - subgraphCpu - loadGeneratorCpu;
  const sqlAfter = sqlBefore === null ? null : await sqlStatements().catch(() => null);
  const refused = refusalsBetween(refusalsBefore, await refusalCounts(router));
  if (refused?.demandTotal > 0) {
    throw new Error(
      `${label}: our router refused ${refused.demandTotal} operations by demand control (${JSON.stringify(refused.demand)}); ` +
        'the bench runs it with budgets that must refuse nothing (BENCH_BUDGET in lib/routers.js)',
    );
  }
  const ok = result['2xx'];
  latencies.sort((a, b) => a - b);
  const reasons = [];
  if (result.non2xx > 0) reasons.push(`${result.non2xx} non-2xx responses`);
  if (result.errors > 0) reasons.push(`${result.errors} errors (${result.timeouts} timeouts)`);
  if (withErrors > 0) reasons.push(`${withErrors} responses with GraphQL errors`);
  if (responses === 0) reasons.push('no response');
  if (mismatch) reasons.push(`a response differs from the reference answer (stock's) to the same request: ${mismatch}`);
  if (ok === 0) reasons.push('no successful response');
  if (refused?.shed > 0) reasons.push(`our router shed ${refused.shed} requests (event-loop lag)`);
  // The floor keeps nothing between requests: a repeat costs it what a new request does.
  if (distinct && repeats > 0 && router.name !== 'floor') {
    reasons.push(`${repeats} requests repeated a variant within a second (${variants.length} variants): raise DISTINCT_VARIANTS`);
  }
  return {
    requests: ok,
    seconds: Number(elapsedSeconds.toFixed(2)),
    rps: ok / elapsedSeconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1),
    cpuMsPerRequest: ok ? cpu / ok : null,
    subgraphCpuMsPerRequest: ok ? subgraphCpu / ok : null,
    peakRssMb: peakRss,
    sqlPerRequest: sqlBefore !== null && sqlAfter !== null && ok ? (sqlAfter - sqlBefore) / ok : null,
    bytesPerResponse: ok ? result.throughput.total / ok : null,
    loadGeneratorCpuPercent: (100 * loadGeneratorCpu) / (elapsedSeconds * 1000),
    otherCpuPercentOfMachine: machineTotal > 0 ? (100 * otherCpu) / machineTotal : null,
    loadAverage: os.loadavg()[0],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    variants: variants.length,
    repeatsWithinSecond: repeats,
    responsesCompared: compared,
    refused,
    valid: reasons.length === 0,
    invalidReasons: reasons,
  };
}

/**
 * Every measured run of the bench, in order: reads first (round after round, routers interleaved), then the
 * writes, each router warmed up on each operation before its first run. Throws when a router exits meanwhile.
 */
async function measureRounds({ options, operations, routers, headers, references, subgraphPids }) {
  const runs = [];
  const plan = [];
  const reads = operations.filter((op) => op.kind === 'read');
  const writes = operations.filter((op) => op.kind === 'write');
  // Reads first (round after round, routers interleaved), then the writes: a checkout changes the stock that reads show.
  for (const group of [reads, writes]) {
    for (let round = 1; round <= options.rounds; round++) {
      for (const op of group) for (const router of options.routers) plan.push({ round, op, router });
    }
  }
  const total = plan.length;
  const estimate = ((total * options.duration + options.routers.length * operations.length * options.warmup) / 60).toFixed(1);
  log(`${total} measured runs of ${options.duration} s (+ warm-ups): about ${estimate} min`);

  const rotations = new Map();
  for (const [index, { round, op, router }] of plan.entries()) {
    const key = `${router}:${op.name}`;
    const warm = rotations.has(key);
    if (!warm) rotations.set(key, newRotation(op.variants.length));
    const common = {
      router: routers[router],
      op: { ...op, canned: options.canned },
      connections: options.connections,
      headers: headers[router][op.name],
      references: references[op.name]?.hashes ?? null,
      rotation: rotations.get(key),
      subgraphPids,
      distinct: options.distinct,
    };
    if (!warm && options.warmup > 0) {
      await measure({ ...common, seconds: options.warmup, label: `warm-up ${op.name} × ${router}`, record: false });
    }
    const label = `[${index + 1}/${total}] round ${round} ${op.name} × ${router}`;
    const measured = await measure({ ...common, seconds: options.duration, label, record: true });
    runs.push({ round, operation: op.name, router, ...measured });
    log(
      `${label}: ${measured.rps.toFixed(0)} req/s, p50 ${measured.p50?.toFixed(1)} ms, p95 ${measured.p95?.toFixed(1)} ms, ` +
        `p99 ${measured.p99?.toFixed(1)} ms, CPU ${measured.cpuMsPerRequest?.toFixed(3)} ms/req, RSS ${measured.peakRssMb.toFixed(0)} MB, ` +
        `load gen ${measured.loadGeneratorCpuPercent.toFixed(0)}% CPU, other ${measured.otherCpuPercentOfMachine?.toFixed(0)}% of machine` +
        `${measured.sqlPerRequest !== null ? `, SQL ${measured.sqlPerRequest.toFixed(2)}/req` : ''}` +
        `, ${measured.repeatsWithinSecond} repeats within 1 s of ${measured.variants} variants${measured.valid ? '' : ` INVALID: ${measured.invalidReasons.join('; ')}`}`,
    );
    for (const [name, r] of Object.entries(routers)) {
      if (r.entry.child.exitCode !== null) throw new Error(`${name} exited during the run:\n  ${r.entry.tail().join('\n  ')}`);
    }
  }
  return runs;
}

module.exports = { measure, measureRounds };
