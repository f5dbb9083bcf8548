import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRouterConfig, signDevelopmentToken } from '../../router';
import { localSupergraphEnv, type SupergraphPorts } from '../../scripts/lib/net';
import { type StartedSupergraph, startSupergraphProcess } from '../../scripts/lib/startProcess';
import { DATABASE_NAMES, parseMysqlUrl } from '../../shared';
import { acceptsConnections } from '../helpers/net';
import { dropMysqlDatabase } from '../helpers/testDatabase';

/**
 * The real processes `npm start` runs (compiled by `npm test`'s build step): what only real processes
 * show, start-up, first-run seeding and shutdown on SIGTERM.
 */
describe('npm start, as real processes', () => {
  let supergraph: StartedSupergraph;
  let ports: SupergraphPorts;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-start-'));

  beforeAll(async () => {
    const local = await localSupergraphEnv();
    ports = local.ports;
    const env: Record<string, string> = { ...(process.env as Record<string, string>), DATA_DIR: dataDir, ...local.env };
    delete env.DATABASE_URL;
    if (process.env.TEST_DATABASE_URL) {
      env.DATABASE_URL = process.env.TEST_DATABASE_URL;
      env.DATABASE_NAME_PREFIX = `t${process.env.JEST_WORKER_ID ?? 0}_start_`;
      // Fresh databases, as on a new machine: `npm start` creates and migrates them.
      for (const name of [...Object.values(DATABASE_NAMES), 'router']) {
        await dropMysqlDatabase(parseMysqlUrl(env.DATABASE_URL, 'TEST_DATABASE_URL', `${env.DATABASE_NAME_PREFIX}${name}`));
      }
    }
    supergraph = await startSupergraphProcess(env, 90_000);
  }, 120_000);

  afterAll(() => {
    if (supergraph && supergraph.child.exitCode === null) supergraph.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URLs and answers the cross-subgraph query with data it seeded', async () => {
    expect(supergraph.output()).toContain(`http://localhost:${ports.router}/graphql`);
    if (!process.env.TEST_DATABASE_URL) expect(supergraph.output()).toContain('first run: seeding the embedded databases');
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
    supergraph.child.kill('SIGTERM');
    const code = await supergraph.exited;
    expect({
      code,
      output: supergraph
        .output()
        .split('\n')
        .filter((line) => line.includes('[start]'))
        .slice(-3),
    }).toMatchObject({ code: 0 });
    expect(supergraph.output()).toContain('all processes stopped');
    for (const name of ['account', 'product', 'order', 'router']) {
      expect(supergraph.output()).toMatch(new RegExp(`\\[${name}\\] .*"msg":"stopped"`));
    }
    for (const port of Object.values(ports)) expect(await acceptsConnections(port)).toBe(false);
  }, 30_000);
});
