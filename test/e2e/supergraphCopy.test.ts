import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Router } from '../../router';
import { projectPath } from '../../shared';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { readJson } from '../helpers/http';
import { parsePrometheus } from '../helpers/prometheus';
import { type Stack, startStack } from '../helpers/stack';

/** What the supergraph source (`SUPERGRAPH_URL`) answers: the supergraph, an error, or garbage. */
type SourceState = 'up' | 'republished' | 'down' | 'garbage';

const published = fs.readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8');
/** The same graph published again (another text, so another version). */
const republished = `# published again\n${published}`;

describe('the supergraph source down: the last good one, and a last-known-good copy on disk (SUPERGRAPH_CACHE_PATH)', () => {
  let stack: Stack;
  let sourceState: SourceState = 'up';
  let source: http.Server;
  let sourceUrl: string;
  let directory: string;
  let copy: string;
  const started: Router[] = [];

  async function routerOnSource(cachePath: string | null): Promise<{ router: Router; url: string; admin: string }> {
    const { router, url } = await stack.startRouter({
      supergraphUrl: sourceUrl,
      supergraphPollIntervalMs: 20,
      supergraphCachePath: cachePath,
    });
    started.push(router);
    return { router, url, admin: `http://127.0.0.1:${(router.adminServer.address() as AddressInfo).port}` };
  }
  const ready = async (admin: string) => readJson(await fetch(`${admin}/health/ready`));
  const productName = async (url: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ product(id: "1") { name } }' }),
    });
    return { status: response.status, name: (await readJson(response)).data?.product?.name };
  };
  const fromCopyGauge = async (admin: string) =>
    parsePrometheus(await (await fetch(`${admin}/metrics`)).text()).find((sample) => sample.name === 'router_supergraph_from_copy')?.value;
  /** Resolves once `condition` holds, asking again every 20 ms (the poll interval); fails after 5 s. */
  async function until(condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`not true after 5 s: ${condition}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  beforeAll(async () => {
    stack = await startStack('supergraph-copy');
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Hammer', priceCents: 100, stock: 5, categoryId: 1 }]);
    source = http.createServer((_req, res) => {
      if (sourceState === 'down') res.writeHead(503).end('unavailable');
      else {
        const text = { up: published, republished, garbage: 'type Query { this is not' }[sourceState];
        res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
      }
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}/supergraph.graphql`;
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-copy-'));
    copy = path.join(directory, 'nested', 'last-good.graphql');
  });
  beforeEach(() => {
    sourceState = 'up';
  });
  afterAll(async () => {
    await Promise.all(started.map((router) => router.stop()));
    await new Promise((resolve) => source.close(resolve));
    await stack.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('writes the copy on each good load, keeps the last good supergraph while the source fails, and starts a new router from the copy', async () => {
    const a = await routerOnSource(copy);
    expect(fs.readFileSync(copy, 'utf8')).toBe(published);
    // Only the copy is left in its folder: the temporary file it was written to was renamed over it.
    expect(fs.readdirSync(path.dirname(copy))).toEqual([path.basename(copy)]);
    const version = (await ready(a.admin)).supergraph.version;
    expect((await ready(a.admin)).supergraph.fromLastKnownGoodCopy).toBeNull();

    // The source goes down: router A keeps serving the supergraph it has, and says why it could not reload.
    sourceState = 'down';
    await until(async () => /HTTP 503/.test((await ready(a.admin)).supergraph.lastReloadError?.message ?? ''));
    expect(await productName(a.url)).toEqual({ status: 200, name: 'Hammer' });
    expect((await ready(a.admin)).supergraph.version).toBe(version);

    // Router B starts while the source is down: from the copy, and readiness says so.
    const b = await routerOnSource(copy);
    expect(await productName(b.url)).toEqual({ status: 200, name: 'Hammer' });
    const health = await ready(b.admin);
    expect(health.status).toBe('ready');
    expect(health.supergraph.version).toBe(version);
    expect(health.supergraph.fromLastKnownGoodCopy).toMatchObject({ path: copy, reason: expect.stringMatching(/HTTP 503/) });
    expect(await fromCopyGauge(b.admin)).toBe(1);

    // The source is back: B serves it from the source again, with nothing left to say.
    sourceState = 'up';
    await until(async () => (await ready(b.admin)).supergraph.fromLastKnownGoodCopy === null);
    expect((await ready(b.admin)).supergraph).toMatchObject({ version, lastReloadError: null });
    expect(await fromCopyGauge(b.admin)).toBe(0);

    // A new publication replaces the copy once loaded.
    sourceState = 'republished';
    await until(async () => (await ready(b.admin)).supergraph.version !== version);
    await until(async () => fs.readFileSync(copy, 'utf8') === republished);
  });

  it('starts from the copy when the source serves a supergraph it refuses', async () => {
    await routerOnSource(copy);
    sourceState = 'garbage';
    const { url, admin } = await routerOnSource(copy);
    expect(await productName(url)).toEqual({ status: 200, name: 'Hammer' });
    expect((await ready(admin)).supergraph.fromLastKnownGoodCopy.reason).toMatch(/Syntax Error/);
  });

  it('without a copy, refuses to start while the source is down, and says why', async () => {
    sourceState = 'down';
    await expect(routerOnSource(null)).rejects.toThrow(/HTTP 503/);
    await expect(routerOnSource(path.join(directory, 'never-written.graphql'))).rejects.toThrow(/HTTP 503/);
  });

  it('refuses to start when the copy is garbage too, naming both', async () => {
    const broken = path.join(directory, 'broken.graphql');
    fs.writeFileSync(broken, 'not a supergraph either {');
    sourceState = 'down';
    await expect(routerOnSource(broken)).rejects.toThrow(
      /HTTP 503 \(and the last-known-good copy .*broken\.graphql was refused too: The supergraph does not parse: Syntax Error/,
    );
  });
});
