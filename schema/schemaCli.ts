/**
 * `npm run schema -- <command>` for subgraph owners:
 *
 *   compose [--check]                       all subgraphs → schema/supergraph.graphql and its copy for Kubernetes
 *                                             (deploy/kubernetes/base/; --check: fail if either is stale)
 *   check <subgraph> [--sdl <file>] [--days 7] [--min-requests 1000] [--allow-unknown-usage] [--json]
 *                                             compose the proposed SDL with the others, compare with the published
 *                                             supergraph and with the usage the routers recorded in the last days;
 *                                             a breaking change nobody used passes only when the window holds at
 *                                             least --min-requests requests (or with --allow-unknown-usage)
 *   publish <subgraph> [--sdl <file>] [--json] check, then write the SDL and the supergraph atomically and record the version
 *
 * Exit codes: 0 passed (warnings and dangerous changes are printed), 1 the check failed (composition errors,
 * a supergraph the router refuses, breaking changes in use or in a window with too little traffic to judge,
 * lint errors: `failures` in --json, and the summary line, name them by stable codes), 2 the command itself
 * could not run (bad arguments, unreadable files).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readUsageDatabaseConfig, UsageStore } from '../router';
import { projectPath, SUBGRAPH_NAMES } from '../shared';
import { type CheckReport, checkSubgraph, NOT_ENOUGH_TRAFFIC_MESSAGE } from './checkSchema';
import { composeSupergraph, readSubgraphSources } from './composeSupergraph';

// `check` builds the API schemas with @apollo/gateway, whose constructor otherwise sends anonymous usage metrics to
// Apollo and probes cloud metadata endpoints (as in router/main.ts; APOLLO_TELEMETRY_DISABLED=false turns it on).
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

/** The project, or `SCHEMA_ROOT` (a checkout of it): where subgraphs/<name>/schema.graphql and schema/ live. */
const ROOT = process.env.SCHEMA_ROOT ?? projectPath();
const SUPERGRAPH = path.join(ROOT, 'schema', 'supergraph.graphql');
const HISTORY = path.join(ROOT, 'schema', 'history.jsonl');
/**
 * The copy kustomize puts into the routers' ConfigMap (it reads files below the kustomization only): a new
 * supergraph changes the ConfigMap's hash suffix, which rolls the routers.
 */
const KUBERNETES_COPY = path.join(ROOT, 'deploy', 'kubernetes', 'base', 'supergraph.graphql');

class UsageError extends Error {}

/** Writes through a file beside the target and a rename: a reader (the router) never sees half a file. */
function writeAtomically(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content);
  fs.renameSync(temporary, file);
}

/** The supergraph, and its Kubernetes copy where the checkout has deploy/kubernetes/base/. */
function writeSupergraph(sdl: string): void {
  writeAtomically(SUPERGRAPH, sdl);
  if (fs.existsSync(path.dirname(KUBERNETES_COPY))) writeAtomically(KUBERNETES_COPY, sdl);
}

/** The files `writeSupergraph` writes that do not hold `sdl`. */
function staleSupergraphs(sdl: string): string[] {
  return [SUPERGRAPH, ...(fs.existsSync(path.dirname(KUBERNETES_COPY)) ? [KUBERNETES_COPY] : [])].filter(
    (file) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== sdl,
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function print(report: CheckReport): void {
  for (const problem of report.composition) {
    const where =
      problem.locations.map((l) => `${l.subgraph}:${l.line}:${l.column}`).join(', ') || problem.subgraphs.join(', ') || 'supergraph';
    console.log(`✖ composition ${problem.code} at ${where}: ${problem.message}`);
  }
  if (report.refusal) console.log(`✖ router: ${report.refusal}`);
  const traffic = report.traffic;
  if (traffic) {
    console.log(
      `usage window (last ${plural(traffic.windowDays, 'day')}): ${plural(traffic.requests, 'request')} on ${plural(traffic.days, 'day')} from ${plural(traffic.clients, 'client')}${traffic.enough ? '' : `, fewer than the ${traffic.minRequests} needed to call a breaking change unused`}`,
    );
  }
  const mark = { breaking: '✖ breaking ', dangerous: '⚠ dangerous', safe: '✔ safe     ' };
  for (const change of report.changes) {
    const unused = change.severity === 'breaking' && change.blocking === false;
    const note = change.unknownUsage
      ? unused
        ? ' (no recorded use, in a window too small to judge: accepted by --allow-unknown-usage)'
        : ` (no recorded use, but ${NOT_ENOUGH_TRAFFIC_MESSAGE})`
      : unused
        ? ' (unused in the window: passes with a warning)'
        : '';
    console.log(`${unused ? '⚠ breaking ' : mark[change.severity]} ${change.type}: ${change.message}${note}`);
    for (const use of change.usage ?? []) {
      console.log(
        `    ${change.severity === 'breaking' ? 'used' : 'still used'} by ${use.operations.join(', ')} from ${use.clients.join(', ')} (${use.count} times)`,
      );
    }
  }
  for (const problem of report.lint) console.log(`${problem.severity === 'error' ? '✖' : '⚠'} lint ${problem.rule}: ${problem.message}`);
  const count = (severity: string) => report.changes.filter((change) => change.severity === severity).length;
  const inUse = report.changes.filter((c) => c.severity === 'breaking' && c.blocking !== false && !c.unknownUsage).length;
  console.log(
    report.ok
      ? `check passed for ${report.subgraph}: ${count('breaking')} breaking, ${count('dangerous')} dangerous, ${count('safe')} safe changes`
      : `check FAILED for ${report.subgraph}: ${report.composition.length} composition errors, ${report.refusal ? 'refused by the router, ' : ''}${inUse} breaking changes in use, ${report.failures.includes('NOT_ENOUGH_TRAFFIC') ? `${NOT_ENOUGH_TRAFFIC_MESSAGE}, ` : ''}${report.lint.filter((p) => p.severity === 'error').length} lint errors [${report.failures.join(', ')}]`,
  );
}

async function main(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const valued = new Set(['--sdl', '--days', '--min-requests']);
  const positional = args.filter((arg, i) => !arg.startsWith('--') && !valued.has(args[i - 1]));
  const [command, subgraph] = positional;
  const sdlFlag = args.indexOf('--sdl');
  const sdlFile = sdlFlag >= 0 ? args[sdlFlag + 1] : undefined;
  if (command === 'compose') {
    const result = composeSupergraph(readSubgraphSources(ROOT));
    if (!result.ok) {
      if (json) console.log(JSON.stringify({ ok: false, composition: result.problems }, null, 2));
      for (const problem of json ? [] : result.problems) {
        console.error(`✖ composition ${problem.code} [${problem.subgraphs.join(', ') || 'supergraph'}]: ${problem.message}`);
      }
      if (!json) console.error(`composition failed with ${result.problems.length} error(s); ${SUPERGRAPH} is unchanged`);
      return 1;
    }
    const stale = staleSupergraphs(result.supergraphSdl);
    if (args.includes('--check')) {
      // For CI: the committed supergraph (and its copy) must be what the committed SDL composes to.
      for (const file of stale) console.error(`${path.relative(ROOT, file)} is stale: run \`npm run compose\` and commit it`);
      return stale.length === 0 ? 0 : 1;
    }
    if (stale.length > 0) writeSupergraph(result.supergraphSdl);
    console.log(
      json
        ? JSON.stringify({ ok: true, supergraph: SUPERGRAPH })
        : stale.length === 0
          ? `up to date: ${SUPERGRAPH}`
          : `wrote: ${stale.join(', ')}`,
    );
    return 0;
  }
  if (command !== 'check' && command !== 'publish')
    throw new UsageError('usage: npm run schema -- <compose | check <subgraph> | publish <subgraph>> [--sdl <file>] [--json]');
  if (!subgraph || !(SUBGRAPH_NAMES as readonly string[]).includes(subgraph))
    throw new UsageError(`name a subgraph: ${SUBGRAPH_NAMES.join(', ')}`);
  if (sdlFlag >= 0 && !sdlFile) throw new UsageError('--sdl needs a file');
  let proposed: string | undefined;
  try {
    proposed = sdlFile ? fs.readFileSync(sdlFile, 'utf8') : undefined;
  } catch {
    throw new UsageError(`cannot read ${sdlFile}`);
  }
  const sources = readSubgraphSources(ROOT).map((source) =>
    source.name === subgraph && proposed !== undefined ? { ...source, sdl: proposed } : source,
  );
  const daysFlag = args.indexOf('--days');
  const days = daysFlag >= 0 ? Number(args[daysFlag + 1]) : 7;
  if (!Number.isInteger(days) || days < 1) throw new UsageError('--days must be a whole number of days');
  const minFlag = args.indexOf('--min-requests');
  const minRequests = minFlag >= 0 ? Number(args[minFlag + 1]) : 1000;
  if (!Number.isInteger(minRequests) || minRequests < 0) throw new UsageError('--min-requests must be a whole number of requests');
  const allowUnknownUsage = args.includes('--allow-unknown-usage');
  // Usage recorded by the routers (the same store they write: ROUTER_DATABASE_URL, DATABASE_URL or .data/).
  const store = await UsageStore.open(readUsageDatabaseConfig(process.env));
  let report: CheckReport;
  try {
    report = await checkSubgraph(sources, subgraph, fs.readFileSync(SUPERGRAPH, 'utf8'), { store, days, minRequests, allowUnknownUsage });
  } finally {
    await store.close();
  }
  if (command === 'check' || !report.ok || !report.supergraphSdl) {
    if (json) console.log(JSON.stringify(report, null, 2));
    else print(report);
    return report.ok ? 0 : 1;
  }
  if (proposed !== undefined) writeAtomically(path.join(ROOT, 'subgraphs', subgraph, 'schema.graphql'), proposed);
  writeSupergraph(report.supergraphSdl);
  const entry = {
    id: randomUUID(),
    time: new Date().toISOString(),
    subgraph,
    summary: Object.fromEntries(
      (['breaking', 'dangerous', 'safe'] as const).map((s) => [s, report.changes.filter((c) => c.severity === s).length]),
    ),
    changes: report.changes.map((change) => `${change.severity} ${change.message}`),
  };
  fs.appendFileSync(HISTORY, `${JSON.stringify(entry)}\n`);
  if (json) console.log(JSON.stringify({ ...report, published: entry }, null, 2));
  else {
    print(report);
    console.log(`published ${subgraph} as ${entry.id}; running routers pick it up within a second`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
