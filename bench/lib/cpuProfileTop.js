/**
 * `node lib/cpuProfileTop.js file.cpuprofile [count]`: the functions with the most self time in a V8 CPU profile
 * (from `node --cpu-prof`), and the packages and files they are in. For profiling our router under the bench's
 * load: `BENCH_OURS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- --routers ours ...`.
 */
const fs = require('node:fs');

const [file, countArgument] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node lib/cpuProfileTop.js file.cpuprofile [count]\n');
  process.exit(2);
}
const count = Number(countArgument ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
}
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);

const where = (url) => {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url;
};

const functions = new Map();
const packages = new Map();
for (const [id, ms] of selfMs) {
  const { callFrame } = byId.get(id);
  const name = callFrame.functionName || '(anonymous)';
  const key = `${name}  ${where(callFrame.url)}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
  functions.set(key, (functions.get(key) ?? 0) + ms);
  const pkg = ['(garbage collector)', '(idle)', '(program)'].includes(name) ? name : where(callFrame.url);
  packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
}
// Busy: everything but (idle), the share a router's CPU per request is made of.
const busy = total - (packages.get('(idle)') ?? 0);
const share = (ms, of) => `${((100 * ms) / of).toFixed(1).padStart(5)}%`;
const row = (key, ms) => `${share(ms, total)} ${key === '(idle)' ? '     –' : share(ms, busy)} ${ms.toFixed(0).padStart(7)} ms  ${key}\n`;
process.stdout.write(`${file}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy\n\n`);
process.stdout.write('self time by function (of all, of busy):\n');
for (const [key, ms] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, count)) process.stdout.write(row(key, ms));
process.stdout.write('\nself time by package or file (of all, of busy):\n');
for (const [key, ms] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, count)) process.stdout.write(row(key, ms));
