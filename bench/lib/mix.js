/**
 * What the mixed-load benches (`--replicas`, `--cache`) share: their command line, a MySQL connection, one
 * autocannon run over a sequence of requests, and reading Prometheus counters and percentiles.
 */
const fs = require('node:fs');
const path = require('node:path');
const autocannon = require('autocannon');
const { Agent, request } = require('undici');
const { ROOT } = require('./config');
const { percentile, stat } = require('./stats');

const agent = new Agent({ connections: 8, keepAliveTimeout: 2_000 });

/**
 * The command line of a mixed-load bench (`mode`: `--replicas`, `--cache`): the common options, then any of
 * `extra(flag, value, number)` (which returns false for a flag it does not know). `defaults` holds the
 * quick and full durations, rounds and warm-ups, and any option of `extra`; `--help` prints the head comment of
 * `usageFile`, its lines 1 to `usageLines`.
 */
function parseMixOptions(argv, { mode, usageFile, usageLines, defaults, extra = () => false }) {
  const { quick: quickDefaults, full: fullDefaults, ...rest } = defaults;
  const options = {
    quick: false,
    duration: null,
    rounds: null,
    warmup: null,
    connections: 32,
    build: true,
    reseed: false,
    out: path.join(ROOT, 'bench', 'results'),
    ...rest,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    const number = (min, max) => {
      const raw = value();
      const parsed = Number(raw);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max)
        throw new Error(`${flag} must be a whole number from ${min} to ${max}, got '${raw}'`);
      return parsed;
    };
    if (flag === mode) continue;
    else if (flag === '--quick') options.quick = true;
    else if (flag === '--duration') options.duration = number(1, 3600);
    else if (flag === '--rounds') options.rounds = number(1, 100);
    else if (flag === '--warmup') options.warmup = number(0, 600);
    else if (flag === '--connections') options.connections = number(1, 1000);
    else if (flag === '--no-build') options.build = false;
    else if (flag === '--reseed') options.reseed = true;
    else if (flag === '--out') options.out = path.resolve(value());
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${fs.readFileSync(usageFile, 'utf8').split('\n').slice(1, usageLines).join('\n')}\n`);
      process.exit(0);
    } else if (!extra(flag, value, number, options)) throw new Error(`unknown option '${argv[i]}' with ${mode} (see ${mode} --help)`);
  }
  const chosen = options.quick ? quickDefaults : fullDefaults;
  options.duration ??= chosen.duration;
  options.rounds ??= chosen.rounds;
  options.warmup ??= chosen.warmup;
  return options;
}

/** A mysql2 connection to `database` on the server of `url` (named `variable` in errors). */
async function mysqlConnection(url, database, variable = 'BENCH_DATABASE_URL') {
  const mysql = require(require.resolve('mysql2/promise', { paths: [ROOT] }));
  const { parseMysqlUrl } = require(path.join(ROOT, 'dist', 'shared'));
  const config = parseMysqlUrl(url, variable, database ?? 'mysql');
  return mysql.createConnection({ host: config.host, port: config.port, user: config.user, password: config.password, database });
}

/**
 * One autocannon run of POSTs to `url` over `requests` (`{ body, headers }`, taken in turn from `start`, by default random),
 * closed loop or at `rate` requests a second; every answer must be a 2xx without `errors`. Resolves with the
 * 2xx count, the seconds it took, the sorted latencies and what went wrong.
 */
async function runMix({ url, requests, seconds, connections, rate = null, start = Math.floor(Math.random() * requests.length) }) {
  const latencies = [];
  let withErrors = 0;
  let firstError = null;
  let next = start;
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 30,
    ...(rate ? { overallRate: rate } : {}),
    headers: { 'content-type': 'application/json' },
    verifyBody: (body) => {
      if (body.includes('"errors"')) {
        withErrors += 1;
        firstError ??= body.slice(0, 300);
        return false;
      }
      return true;
    },
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const chosen = requests[next++ % requests.length];
          req.body = chosen.body;
          req.headers = { ...req.headers, ...(chosen.headers ?? {}) };
          return req;
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const startedAt = process.hrtime.bigint();
  const result = await new Promise((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  });
  const elapsed = Number(process.hrtime.bigint() - startedAt) / 1e9;
  latencies.sort((a, b) => a - b);
  const problems = [];
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx`);
  if (result.errors > 0) problems.push(`${result.errors} errors (${result.timeouts} timeouts)`);
  if (withErrors > 0) problems.push(`${withErrors} with GraphQL errors, first: ${firstError}`);
  return { ok: result['2xx'], elapsed, latencies, problems };
}

/** `name{labels} value` samples of a Prometheus text page, summed by one label (`server`, `reason`). */
async function metricByLabel(url, name, label) {
  const response = await request(url, { dispatcher: agent });
  const text = await response.body.text();
  const totals = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const match = new RegExp(`${label}="([^"]*)"`).exec(line);
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (match && Number.isFinite(value)) totals[match[1]] = (totals[match[1]] ?? 0) + value;
  }
  return totals;
}

/** The median of the finite numbers in `values`, null when there are none. */
const median = (values) => stat(values)?.median ?? null;

/**
 * Writes `results/<date>-<commit>-<name>[-small][-quick].{json,md}` (`markdown(result)` the .md), prints the
 * table, and closes the bench's HTTP pool.
 */
async function writeMixResults(options, name, result, markdown) {
  const { date, commit } = result.meta;
  const base = path.join(
    options.out,
    [date, commit, name, options.scale === 'large' ? null : options.scale, options.quick ? 'quick' : null].filter(Boolean).join('-'),
  );
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, markdown(result));
  process.stdout.write(`\n${markdown(result)}\n`);
  process.stderr.write(`[bench] results: ${path.relative(process.cwd(), base)}.{json,md} (${result.meta.minutes} min)\n`);
  await agent.close();
}

module.exports = { agent, parseMixOptions, mysqlConnection, runMix, metricByLabel, percentile, median, writeMixResults };
