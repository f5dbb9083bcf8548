import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { signDevelopmentToken } from '../../router/auth/developmentToken';
import { readRouterConfig } from '../../router/RouterConfig';
import { freePorts } from '../../scripts/lib/net';
import { DATABASE_NAMES, parseMysqlUrl, projectPath } from '../../shared';
import { dropMysqlDatabase } from '../helpers/testDatabase';

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The real processes `npm start` runs (compiled by `npm test`'s build step): what only real processes
 * show, start-up, first-run seeding and shutdown on SIGTERM.
 */
describe('npm start, as real processes', () => {
  let child: ChildProcess;
  let output = '';
  let exit: Promise<number | null>;
  let ports: { router: number; admin: number; account: number; product: number; order: number };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-start-'));

  beforeAll(async () => {
    const [router, admin, account, product, order] = await freePorts(5);
    ports = { router, admin, account, product, order };
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      DATA_DIR: dataDir,
      ROUTER_PORT: String(router),
      ROUTER_ADMIN_PORT: String(admin),
      ACCOUNT_PORT: String(account),
      PRODUCT_PORT: String(product),
      ORDER_PORT: String(order),
      ACCOUNT_URL: `http://127.0.0.1:${account}/graphql`,
      PRODUCT_URL: `http://127.0.0.1:${product}/graphql`,
      ORDER_URL: `http://127.0.0.1:${order}/graphql`,
      PRODUCT_INTERNAL_URL: `http://127.0.0.1:${product}`,
    };
    delete env.DATABASE_URL;
    if (process.env.TEST_DATABASE_URL) {
      env.DATABASE_URL = process.env.TEST_DATABASE_URL;
      env.DATABASE_NAME_PREFIX = `t${process.env.JEST_WORKER_ID ?? 0}_start_`;
      // Fresh databases, as on a new machine: `npm start` creates and migrates them.
      for (const name of [...Object.values(DATABASE_NAMES), 'router']) {
        await dropMysqlDatabase(parseMysqlUrl(env.DATABASE_URL, 'TEST_DATABASE_URL', `${env.DATABASE_NAME_PREFIX}${name}`));
      }
    }
    child = spawn(process.execPath, [projectPath('dist', 'scripts', 'start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    exit = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 90_000;
    while (!output.includes('Supergraph ready')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not get ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URLs and answers the cross-subgraph query with data it seeded', async () => {
    expect(output).toContain(`http://localhost:${ports.router}/graphql`);
    if (!process.env.TEST_DATABASE_URL) expect(output).toContain('first run: seeding the embedded databases');
    const token = await signDevelopmentToken(readRouterConfig({}).auth, { userId: '1' });
    const response = await fetch(`http://127.0.0.1:${ports.router}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          '{ user(id: "1") { name orders(first: 20) { edges { node { total { amount currency } items { quantity product { name price { amount currency } } } } } } } }',
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.errors).toBeUndefined();
    if (!process.env.TEST_DATABASE_URL) {
      expect(body.data.user.orders.edges).toHaveLength(20);
      expect(body.data.user.orders.edges[0].node.items[0].product.name).toEqual(expect.any(String));
    }
  });

  it('stops all four processes cleanly on SIGTERM and frees their ports', async () => {
    child.kill('SIGTERM');
    const code = await exit;
    expect({
      code,
      output: output
        .split('\n')
        .filter((line) => line.includes('[start]'))
        .slice(-3),
    }).toMatchObject({ code: 0 });
    expect(output).toContain('all processes stopped');
    for (const name of ['account', 'product', 'order', 'router']) {
      expect(output).toMatch(new RegExp(`\\[${name}\\] .*"msg":"stopped"`));
    }
    for (const port of Object.values(ports)) expect(await acceptsConnections(port)).toBe(false);
  }, 30_000);
});
