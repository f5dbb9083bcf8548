/**
 * `npm run bench:compare` (from the root) or `node bench/compare.js`: the regression guard of issue 18. Compares a
 * bench result with the last one committed of the same kind (by default the newest `…-canned-distinct-quick.json`
 * in bench/results, which `npm run bench -- --quick --canned --distinct` writes) and warns when our router's CPU
 * per request, as a ratio to the stock gateway's in the same run, grew by more than 10 %. Ratios, not absolute
 * figures: a busier or slower machine changes both routers alike.
 *
 *   node bench/compare.js [result.json] [--baseline committed.json] [--threshold 10]
 *
 * Exit status: 0 when nothing grew past the threshold (or there is no committed result to compare with yet),
 * 1 when something did, 2 on a usage error. A guard for people, never a timed test in CI.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { compareCpu } = require('./lib/ratios');

const RESULTS = path.join(__dirname, 'results');
const DEFAULT_KIND = '-canned-distinct-quick.json';

function usage(message) {
  process.stderr.write(`compare: ${message}\nusage: node bench/compare.js [result.json] [--baseline committed.json] [--threshold 10]\n`);
  process.exit(2);
}

function parseArguments(argv) {
  const options = { current: null, baseline: null, threshold: 10 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--baseline') options.baseline = path.resolve(value());
    else if (flag === '--threshold') options.threshold = Number(value());
    else if (flag.startsWith('--')) usage(`unknown option ${flag}`);
    else if (options.current) usage('one result at a time');
    else options.current = path.resolve(flag);
  }
  if (!Number.isFinite(options.threshold) || options.threshold < 0) usage('--threshold must be a percentage');
  return options;
}

/** What kind of result a file is: the end of its name after `<date>-<commit>` (`-canned-distinct-quick.json`). */
const kindOf = (file) => path.basename(file).replace(/^\d{4}-\d{2}-\d{2}-[^-]+/, '');

/** The results of a kind in bench/results, newest first by file time. */
function resultsOfKind(kind) {
  if (!fs.existsSync(RESULTS)) return [];
  return fs
    .readdirSync(RESULTS)
    .filter((name) => kindOf(name) === kind)
    .map((name) => path.join(RESULTS, name))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
}

/** The time of the last commit that touched `file`, or null when git does not track it. */
function committedAt(file) {
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%ct', '--', path.relative(path.dirname(file), file)], {
      cwd: path.dirname(file),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return out ? Number(out) : null;
  } catch {
    return null;
  }
}

const percent = (value) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} %`;
const times = (value) => (typeof value === 'number' ? `${value.toFixed(2)}×` : '–');

function main() {
  const options = parseArguments(process.argv.slice(2));
  const current =
    options.current ??
    resultsOfKind(DEFAULT_KIND)[0] ??
    usage(`no result named …${DEFAULT_KIND} in ${RESULTS}: run npm run bench -- --quick --canned --distinct first`);
  let baseline = options.baseline;
  if (!baseline) {
    const committed = resultsOfKind(kindOf(current))
      .filter((file) => file !== current)
      .map((file) => ({ file, at: committedAt(file) }))
      .filter((entry) => entry.at !== null)
      .sort((a, b) => b.at - a.at);
    if (committed.length === 0) {
      process.stdout.write(
        `No committed result of the kind …${kindOf(current)} to compare ${path.basename(current)} with: commit one (from a quiet machine) to make it the baseline.\n`,
      );
      return 0;
    }
    baseline = committed[0].file;
  }
  const read = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
  const rows = compareCpu(read(current), read(baseline), { thresholdPercent: options.threshold });
  process.stdout.write(
    `${path.basename(current)} against ${path.basename(baseline)}: our router's CPU per request as a ratio to stock's\n\n`,
  );
  process.stdout.write('| operation | CPU/req ×stock | before | change | req/s ×stock | before |\n|---|---:|---:|---:|---:|---:|\n');
  for (const row of rows) {
    process.stdout.write(
      `| ${row.operation} | ${times(row.cpuRatio)} | ${times(row.baselineCpuRatio)} | ${percent(row.changePercent)}${row.warning ? ' ⚠' : ''} | ` +
        `${times(row.rpsRatio)} | ${times(row.baselineRpsRatio)} |\n`,
    );
  }
  const warnings = rows.filter((row) => row.warning);
  if (rows.length === 0) process.stdout.write('\nThe two results have no operation in common with our router and stock in both.\n');
  for (const row of warnings) {
    process.stdout.write(
      `\nWARNING: ${row.operation}: our CPU per request grew by ${percent(row.changePercent)} (more than ${options.threshold} %) relative to stock's.\n`,
    );
  }
  return warnings.length > 0 ? 1 : 0;
}

process.exitCode = main();
