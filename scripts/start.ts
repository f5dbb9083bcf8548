/**
 * `npm start`: runs the supergraph locally as four processes (three subgraphs, then the router), seeds
 * the embedded databases the first time, prints the URLs, and stops everything on Ctrl-C or SIGTERM.
 * With DATABASE_URL=mysql://… the same command runs on MySQL (migrations applied by each subgraph).
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';
import { DEFAULT_PORTS, describeDatabase, projectPath, readDatabaseConfig, readPort, SUBGRAPH_NAMES, type SubgraphName } from '../shared';
import { isEmpty, seed } from './seedData';

const STOP_GRACE_MS = 15_000;

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

const children: Child[] = [];
let stopping = false;

function startChild(name: string, script: string): Child {
  // Readable log lines on a terminal (LOG_FORMAT=json to see the JSON); JSON when the output goes to a file or a pipe.
  const env = { ...process.env, LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json') };
  const child = spawn(process.execPath, [projectPath('dist', script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function waitUntilReady(name: string, url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const env = process.env;
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
    const port = readPort(env, `${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name]);
    const child = startChild(name, `subgraphs/${name}/main.js`);
    await waitUntilReady(name, `http://localhost:${port}/health/ready`, child);
    console.log(`[start] ${name} ready on port ${port} (${describeDatabase(targets[name])})`);
  }
  const routerPort = readPort(env, 'ROUTER_PORT', DEFAULT_PORTS.router);
  const adminPort = readPort(env, 'ROUTER_ADMIN_PORT', DEFAULT_PORTS.routerAdmin);
  const router = startChild('router', 'router/main.js');
  await waitUntilReady('router', `http://localhost:${adminPort}/health/ready`, router);
  console.log(`
  Supergraph ready.
    GraphQL + explorer        http://localhost:${routerPort}/graphql
    Router health             http://localhost:${adminPort}/health/ready
    Subgraphs                 ${SUBGRAPH_NAMES.map((name) => `${name} :${readPort(env, `${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name])}`).join(', ')}
  Press Ctrl-C to stop.
`);
}

main().catch((error: unknown) => {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
  if (children.length === 0) process.exit(1);
});
