/** The root project: installed and built before the bench drives its compiled processes; its commit names the results. */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./config');
const { log } = require('./log');

/** Runs `command` to completion with its output on this terminal; throws when it fails. */
function run(command, args, cwd, env = process.env) {
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

/** `npm ci` if the root has no node_modules, then `npm run build`; returns a problem to report, or null. */
function buildRoot(options) {
  if (!fs.existsSync(path.join(ROOT, 'node_modules', '.package-lock.json'))) {
    log('installing the root project (npm ci)');
    run('npm', ['ci', '--no-audit', '--no-fund'], ROOT);
  }
  if (options.build || !fs.existsSync(path.join(ROOT, 'dist', 'router', 'main.js'))) {
    log('building the root project (npm run build)');
    try {
      run('npm', ['run', 'build', '--silent'], ROOT);
    } catch (error) {
      // tsc emits despite type errors: with a dist/ in place the bench can go on, and says so in its results.
      if (!fs.existsSync(path.join(ROOT, 'dist', 'router', 'main.js'))) throw error;
      log('WARNING: the build reported errors; benchmarking the JavaScript tsc emitted anyway');
      return 'the root build reported type errors (tsc emitted dist/ anyway)';
    }
  }
  return null;
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'nocommit';
  }
}

/** Whether the working tree has changes the commit does not hold (null: not a git checkout). */
function gitDirty() {
  try {
    return execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim().length > 0;
  } catch {
    return null;
  }
}

module.exports = { run, buildRoot, gitCommit, gitDirty };
