/**
 * The storefront example's server (development only): serves the built app, tells it where the router is
 * (`/config.json`), and signs development tokens for the sign-in page (`POST /dev/sign-in`). Tokens are signed
 * here, beside the app, and never by the router: a router has no endpoint that hands out tokens.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { projectPath } from '../shared';

/** The example's folder: its own package.json and lockfile, built with its own Vite. */
export const STOREFRONT_DIR = projectPath('examples', 'storefront');
/** The trusted-document list its build writes (one file per client version): the router's PERSISTED_QUERIES_DIR. */
export const STOREFRONT_TRUSTED_DOCUMENTS_DIR = path.join(STOREFRONT_DIR, 'build', 'persisted-queries');

export interface StorefrontServerOptions {
  /** The built app (`examples/storefront/dist`). */
  staticDir: string;
  /** The router's `/graphql` as the browser reaches it. */
  graphqlUrl: string;
  /** Signs a development token for a user id; null turns sign-in off (a router on JWKS has no secret to sign with). */
  signToken: ((userId: string) => Promise<string>) | null;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
}

async function readSmallJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 1024) throw new Error('body too large');
  }
  return JSON.parse(text);
}

/** Builds the server; the caller listens (tests on port 0, `npm run storefront` on STOREFRONT_PORT). */
export function createStorefrontServer(options: StorefrontServerOptions): http.Server {
  const root = path.resolve(options.staticDir);
  const routerOrigin = new URL(options.graphqlUrl).origin;
  // The page may call only its own server and the router: nothing else is named.
  const csp = `default-src 'self'; connect-src 'self' ${routerOrigin}; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // JSON only, and from this origin only: a cross-site form cannot get a token minted (or a CORS preflight fails).
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      sendJson(res, 415, { error: 'Send JSON: {"userId": "1"}' });
      return;
    }
    const origin = req.headers.origin;
    if (origin && origin !== `http://${req.headers.host}`) {
      sendJson(res, 403, { error: 'Sign-in is only for this storefront.' });
      return;
    }
    if (!options.signToken) {
      sendJson(res, 404, { error: 'Development sign-in is off: the router verifies tokens from an identity provider.' });
      return;
    }
    let body: unknown;
    try {
      body = await readSmallJson(req);
    } catch {
      sendJson(res, 400, { error: 'Send JSON: {"userId": "1"}' });
      return;
    }
    const userId = (body as { userId?: unknown } | null)?.userId;
    if (typeof userId !== 'string' || !/^\d{1,18}$/.test(userId)) {
      sendJson(res, 400, { error: 'userId must be a user id such as "1".' });
      return;
    }
    sendJson(res, 200, { token: await options.signToken(userId) });
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/dev/sign-in') {
      if (req.method !== 'POST') {
        send(res, 405, '', { allow: 'POST' });
        return;
      }
      signIn(req, res).catch(() => sendJson(res, 500, { error: 'Sign-in failed.' }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, '', { allow: 'GET, HEAD' });
      return;
    }
    if (url.pathname === '/config.json') {
      sendJson(res, 200, { graphqlUrl: options.graphqlUrl });
      return;
    }
    const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.resolve(root, relative);
    if (!file.startsWith(`${root}${path.sep}`) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      send(res, 404, 'Not found', { 'content-type': 'text/plain; charset=utf-8' });
      return;
    }
    const hashed = relative.startsWith('assets/');
    send(res, 200, fs.readFileSync(file), {
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      // Vite names assets by their content's hash: they never change; the page itself is checked every time.
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(file.endsWith('.html') ? { 'content-security-policy': csp } : {}),
    });
  });
}

/** Newest modification time under `dir` (skipping node_modules and build output), in ms. */
function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'build', 'persisted-query-manifest.json'].includes(entry.name) || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function run(args: string[], callersEnv: NodeJS.ProcessEnv, log: (line: string) => void): void {
  log(`storefront: npm ${args.join(' ')}`);
  // NODE_ENV is the caller's (jest sets `test`): the example's install and build choose their own.
  const { NODE_ENV: _callersMode, ...env } = callersEnv;
  const result = spawnSync('npm', args, { cwd: STOREFRONT_DIR, encoding: 'utf8', env });
  if (result.status !== 0) {
    throw new Error(`npm ${args.join(' ')} in examples/storefront failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

/**
 * Installs the example's dependencies (when its lockfile changed) and builds it (when a source file is newer
 * than the build): the app into `dist/`, its trusted-document list into `build/persisted-queries/`.
 */
export function buildStorefront(env: NodeJS.ProcessEnv, log: (line: string) => void = () => undefined): void {
  const installed = path.join(STOREFRONT_DIR, 'node_modules', '.package-lock.json');
  const lockfile = path.join(STOREFRONT_DIR, 'package-lock.json');
  if (!fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(lockfile).mtimeMs) {
    run(['ci', '--no-audit', '--no-fund'], env, log);
  }
  const built = path.join(STOREFRONT_DIR, 'dist', 'index.html');
  const listed = fs.existsSync(STOREFRONT_TRUSTED_DOCUMENTS_DIR) && fs.readdirSync(STOREFRONT_TRUSTED_DOCUMENTS_DIR).length > 0;
  if (!listed || !fs.existsSync(built) || fs.statSync(built).mtimeMs < newestChange(STOREFRONT_DIR)) {
    run(['run', 'build'], env, log);
  }
}
