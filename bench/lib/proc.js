/** Child processes of the bench: spawning (pinned to cores with taskset), readiness, stopping, and /proc readings. */
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const CORES = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
/** Pinning needs taskset and at least two cores (router on one, load generator on another). */
const canPin = hasTaskset && CORES >= 2;
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Pins this process (all its threads) to `cores` (`'0'`), when it can. */
function pinSelf(cores) {
  if (!canPin) return false;
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });
  return true;
}

const children = new Set();

/**
 * Starts `args` (argv[0] is the program) on `cores` (`'1'`, or `'all'`), with `env` only (not this process's
 * environment, so that a stray variable cannot change a router's configuration). The child writes its output to
 * `logFile` itself (rewritten at each start): a router logging a line per request must not cost this process,
 * the load generator, a read per line. `entry.tail()` gives the last lines, to explain a crash.
 */
function start(name, args, { env, cores = 'all', cwd, logFile }) {
  const list = cores === 'all' ? `0-${CORES - 1}` : cores;
  const argv = canPin ? ['taskset', '-c', list, ...args] : args;
  const fd = logFile ? fs.openSync(logFile, 'w') : 'ignore';
  let child;
  try {
    child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', fd, fd] });
  } finally {
    if (logFile) fs.closeSync(fd);
  }
  const tail = () => (logFile ? lastLines(logFile, 20) : []);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const entry = { name, child, pid: child.pid, exited, tail, stopping: false };
  exited.then(() => children.delete(entry));
  children.add(entry);
  return entry;
}

/** The last `count` lines of `file` (from its last 16 KB), or none when it cannot be read. */
function lastLines(file, count) {
  try {
    const { size } = fs.statSync(file);
    const length = Math.min(size, 16_384);
    const buffer = Buffer.alloc(length);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, buffer, 0, length, size - length);
    } finally {
      fs.closeSync(fd);
    }
    return buffer.toString('utf8').split('\n').filter(Boolean).slice(-count);
  } catch {
    return [];
  }
}

async function stop(entry, graceMs = 10_000) {
  if (!entry || entry.child.exitCode !== null || entry.child.signalCode !== null) return;
  entry.stopping = true;
  entry.child.kill('SIGTERM');
  const timer = setTimeout(() => entry.child.kill('SIGKILL'), graceMs);
  await entry.exited;
  clearTimeout(timer);
}

/** Stops every child still running (on exit, on failure). */
async function stopAll() {
  await Promise.all([...children].map((entry) => stop(entry, 5_000)));
}

/** Polls `check` until it resolves true; fails early if `entry` exits, or after `timeoutMs`. */
async function waitUntil(entry, what, check, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (entry && entry.child.exitCode !== null) {
      throw new Error(`${entry.name} exited (code ${entry.child.exitCode}) before ${what}:\n  ${entry.tail().join('\n  ')}`);
    }
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${entry?.name ?? what}: not ready after ${timeoutMs} ms (${what})${entry ? `:\n  ${entry.tail().join('\n  ')}` : ''}`);
}

/** PIDs of `pid` and all its descendants (a router that forks workers is measured whole). */
function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    let tasks = [];
    try {
      tasks = fs.readdirSync(`/proc/${pids[i]}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        for (const child of fs.readFileSync(`/proc/${pids[i]}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) {
          pids.push(Number(child));
        }
      } catch {
        // gone
      }
    }
  }
  return pids;
}

/** User + system CPU of `pid` and its descendants (all threads), in ms. */
function cpuMs(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is field 3 (state): utime is field 14, stime field 15.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / CLK_TCK;
}

/** Resets the peak-RSS mark (VmHWM) of `pid` and its descendants, so that the next reading is this run's peak. */
function resetPeakRss(pid) {
  for (const p of processTree(pid)) {
    try {
      fs.writeFileSync(`/proc/${p}/clear_refs`, '5');
    } catch {
      // not allowed or gone: the reading is then the process's lifetime peak
    }
  }
}

/** Peak resident set (VmHWM) of `pid` plus its descendants, in MB. */
function peakRssMb(pid) {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (match) kb += Number(match[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** CPU time of the whole machine so far, in ms: busy (not idle, not waiting for I/O) and total, over all cores. */
function machineCpuMs() {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + fields[4];
  return { busy: ((total - idle) * 1000) / CLK_TCK, total: (total * 1000) / CLK_TCK };
}

module.exports = { machineCpuMs, CORES, canPin, hasTaskset, pinSelf, start, stop, stopAll, waitUntil, cpuMs, resetPeakRss, peakRssMb };
