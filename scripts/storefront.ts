/**
 * `npm run storefront`: builds the storefront example (examples/storefront, its own install and Vite build),
 * starts the supergraph as `npm start` does with the storefront's trusted-document list loaded, and serves the
 * app at http://localhost:STOREFRONT_PORT (default 5173). Development only: it signs sign-in tokens with the
 * router's development secret. Ctrl-C stops everything.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { readRouterConfig, signDevelopmentToken } from '../router';
import { ConfigError, closeServer, DEFAULT_PORTS, listen, projectPath, readPort, readString } from '../shared';
import { buildStorefront, createStorefrontServer, STOREFRONT_DIR, STOREFRONT_TRUSTED_DOCUMENTS_DIR } from './storefrontServer';

async function waitUntilReady(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !exited()) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the supergraph did not become ready (${url})`);
}

async function main(): Promise<void> {
  const env = process.env;
  const router = readRouterConfig(env);
  if (router.production) throw new ConfigError('npm run storefront is for development: it signs tokens with the development secret');
  const port = readPort(env, 'STOREFRONT_PORT', 5173);
  const publicRouterUrl = readString(env, 'STOREFRONT_GRAPHQL_URL', `http://localhost:${router.port}/graphql`);
  buildStorefront(env, (line) => console.log(`[storefront] ${line}`));
  // The router loads the storefront's list unless PERSISTED_QUERIES_DIR names another folder (copy the list there).
  const trustedDocuments = env.PERSISTED_QUERIES_DIR ?? STOREFRONT_TRUSTED_DOCUMENTS_DIR;
  const stack = spawn(process.execPath, [projectPath('dist', 'scripts', 'start.js')], {
    env: { ...env, PERSISTED_QUERIES_DIR: trustedDocuments },
    stdio: 'inherit',
  });
  let stackExited = false;
  const stackDone = new Promise<number | null>((resolve) => stack.on('exit', (code) => resolve(code)));
  stackDone.then(() => {
    stackExited = true;
  });
  const adminPort = readPort(env, 'ROUTER_ADMIN_PORT', DEFAULT_PORTS.routerAdmin);
  await waitUntilReady(`http://localhost:${adminPort}/health/ready`, () => stackExited);
  const server = createStorefrontServer({
    staticDir: path.join(STOREFRONT_DIR, 'dist'),
    graphqlUrl: publicRouterUrl,
    signToken: router.auth.secret ? (userId) => signDevelopmentToken(router.auth, { userId }) : null,
  });
  // Loopback only: the sign-in endpoint hands out tokens to whoever asks.
  await listen(server, port, '127.0.0.1');
  console.log(`\n  Storefront  http://localhost:${port}  (trusted documents from ${path.relative(process.cwd(), trustedDocuments)})\n`);
  const stop = async () => {
    await closeServer(server, 2_000);
    if (!stackExited) stack.kill('SIGTERM');
    process.exitCode = (await stackDone) ?? 0;
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  stackDone.then(() => void closeServer(server, 0));
}

main().catch((error: unknown) => {
  console.error(`[storefront] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
