/**
 * `npm start`: runs the supergraph locally as four processes (three subgraphs, then the router), seeds
 * the embedded databases the first time, prints the URLs, and stops everything on Ctrl-C or SIGTERM.
 * It starts nothing while one of the five ports is taken (by an earlier stack, say): it names the port and
 * the variable that sets it, and exits 1.
 * With DATABASE_URL=mysql://… the same command runs on MySQL (migrations applied by each subgraph).
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';
import { ROUTER_NODE_FLAGS } from '../router/nodeFlags';
import { DEFAULT_PORTS, describeDatabase, projectPath, readDatabaseConfig, readPort, SUBGRAPH_NAMES, type SubgraphName } from '../shared';
import { listensOn, type PortClaim, portConflicts } from './lib/ports';
import { isEmpty, seed } from './lib/seed';

const STOP_GRACE_MS = 15_000;

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

const children: Child[] = [];
let stopping = false;

function startChild(name: string, script: string, nodeFlags: readonly string[] = []): Child {
  // Readable log lines on a terminal (LOG_FORMAT=json to see the JSON); JSON when the output goes to a file or a pipe.
  const env = { ...process.env, LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json') };
  const child = spawn(process.execPath, [...nodeFlags, projectPath('dist', script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  exited.then((code) => {
    if (!stopping) {
      console.error(`[start] ${name} exited unexpectedly (code ${code}); stopping the others`);
      void stopAll(1);
    }
  });
  const entry = { name, process: child, exited };
  children.push(entry);
  return entry;
}

/**
 * Resolves once `child` answers 200 on `url` and listens on every one of `ports` itself: an answer from another
 * process that holds the port (one started meanwhile) does not count. Throws if the child exits first.
 */
async function waitUntilReady(name: string, url: string, child: Child, ports: readonly number[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  child.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline && exitCode === undefined) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      // Where /proc cannot tell (not Linux), the answer counts while the child still runs.
      const running = child.process.exitCode === null && child.process.signalCode === null;
      const owned = ports.every((port) => child.process.pid !== undefined && listensOn(child.process.pid, port) !== false);
      if (response.ok && running && owned) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (exitCode !== undefined) throw new Error(`${name} exited (code ${exitCode}) before it was ready`);
  throw new Error(`${name} did not become ready at ${url}`);
}

async function stopAll(requestedExitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  let exitCode = requestedExitCode;
  // The router first, so that no request reaches a subgraph that is already gone.
  for (const group of [children.filter((c) => c.name === 'router'), children.filter((c) => c.name !== 'router')]) {
    await Promise.all(
      group.map(async (child) => {
        if (child.process.exitCode !== null || child.process.signalCode !== null) return;
        child.process.kill('SIGTERM');
        const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
        const code = await child.exited;
        clearTimeout(timer);
        if (code !== 0) {
          console.error(`[start] ${child.name} did not stop cleanly (exit code ${code})`);
          exitCode = 1;
        }
      }),
    );
  }
  console.log('[start] all processes stopped');
  process.exit(exitCode);
}

/** Every port the stack listens on, as the environment sets them, with the variable that sets each. */
function portClaims(env: NodeJS.ProcessEnv): PortClaim[] {
  return [
    ...SUBGRAPH_NAMES.map((name) => {
      const variable = `${name.toUpperCase()}_PORT`;
      return { owner: `the ${name} subgraph`, variable, port: readPort(env, variable, DEFAULT_PORTS[name]) };
    }),
    { owner: 'the router', variable: 'ROUTER_PORT', port: readPort(env, 'ROUTER_PORT', DEFAULT_PORTS.router) },
    {
      owner: "the router's admin server",
      variable: 'ROUTER_ADMIN_PORT',
      port: readPort(env, 'ROUTER_ADMIN_PORT', DEFAULT_PORTS.routerAdmin),
    },
  ];
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const env = process.env;
  const claims = portClaims(env);
  const portOf = (variable: string) => claims.find((claim) => claim.variable === variable)?.port ?? 0;
  // Before anything starts (or is seeded): a process of an earlier stack would answer the health checks.
  const conflicts = await portConflicts(claims);
  if (conflicts.length > 0) {
    for (const conflict of conflicts) console.error(`[start] ${conflict}`);
    throw new Error('nothing was started');
  }
  const targets = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, readDatabaseConfig(env, name)])) as Record<
    SubgraphName,
    ReturnType<typeof readDatabaseConfig>
  >;
  if (targets.account.kind === 'sqlite' && (await isEmpty(targets.account))) {
    console.log('[start] first run: seeding the embedded databases (npm run seed to refill them)');
    const summary = await seed(targets, { scale: 'small' });
    console.log(`[start] seeded ${summary.users} users, ${summary.products} products, ${summary.orders} orders`);
  }
  for (const name of SUBGRAPH_NAMES) {
    const port = portOf(`${name.toUpperCase()}_PORT`);
    const child = startChild(name, `subgraphs/${name}/main.js`);
    await waitUntilReady(name, `http://localhost:${port}/health/ready`, child, [port]);
    console.log(`[start] ${name} ready on port ${port} (${describeDatabase(targets[name])})`);
  }
  const routerPort = portOf('ROUTER_PORT');
  const adminPort = portOf('ROUTER_ADMIN_PORT');
  const router = startChild('router', 'router/main.js', ROUTER_NODE_FLAGS);
  await waitUntilReady('router', `http://localhost:${adminPort}/health/ready`, router, [routerPort, adminPort]);
  console.log(`
  Supergraph ready.
    GraphQL + explorer        http://localhost:${routerPort}/graphql
    Router health             http://localhost:${adminPort}/health/ready
    Subgraphs                 ${SUBGRAPH_NAMES.map((name) => `${name} :${portOf(`${name.toUpperCase()}_PORT`)}`).join(', ')}
  Press Ctrl-C to stop.
`);
}

main().catch((error: unknown) => {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
  if (children.length === 0) process.exit(1);
});
