import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { composeSupergraph, readSubgraphSources } from '../../schema/composeSupergraph';
import { insertCategory, insertProducts, insertUsers } from '../helpers/fixtures';
import { readJson } from '../helpers/http';
import { type Stack, startStack } from '../helpers/stack';

/** Fields the subgraphs serve, left out of or put into the published supergraph one by one. */
const OPTIONAL_FIELDS = [
  { subgraph: 'account', line: '  createdAt: DateTime!', query: '{ user(id: "1") { createdAt } }' },
  { subgraph: 'product', line: '  description: String!', query: '{ product(id: "1") { description } }' },
  { subgraph: 'product', line: '  slug: String!', query: '{ categories { slug } }' },
  { subgraph: 'product', line: '  inStock: Boolean! @cacheControl(maxAge: 10)', query: '{ product(id: "1") { inStock } }' },
];

/** The supergraph with only the optional fields in `present` (the subgraphs themselves serve them all). */
function supergraphWith(present: Set<number>): string {
  const sources = readSubgraphSources().map((source) => {
    let sdl = source.sdl;
    OPTIONAL_FIELDS.forEach((field, index) => {
      if (field.subgraph === source.name && !present.has(index)) {
        // Drop the field and the description line right above it.
        sdl = sdl.replace(new RegExp(`\\n  "[^"\\n]*"\\n${field.line.replace(/[!()\\[\]{}.*+?^$|]/g, '\\$&')}\\n`), '\n');
      }
    });
    return { ...source, sdl };
  });
  const result = composeSupergraph(sources);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.supergraphSdl;
}

/** Publishes atomically, as `npm run schema -- publish` would: write aside, rename over. */
function publish(file: string, sdl: string): void {
  fs.writeFileSync(`${file}.tmp`, sdl);
  fs.renameSync(`${file}.tmp`, file);
}

describe('hot reload of the supergraph', () => {
  let stack: Stack;
  let file: string;

  beforeAll(async () => {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-reload-')), 'supergraph.graphql');
    publish(file, supergraphWith(new Set()));
    stack = await startStack('reload', { supergraphPath: file, supergraphPollIntervalMs: 20 });
    await insertUsers(stack.databases.account.dataSource, [{ id: 1, name: 'Ada' }]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Saw', priceCents: 100, stock: 1, categoryId: 1 }]);
  });
  afterAll(() => stack.stop());

  async function served(query: string, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { body } = await stack.graphql(query);
      if (!body.errors) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  it('swaps in ten published supergraphs under continuous traffic, refuses a broken one, and fails no request', async () => {
    let running = true;
    let failures = 0;
    let answered = 0;
    // Four clients, each sending one request after another for as long as the publications go on.
    const traffic = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (running) {
          const { status, body } = await stack.graphql('{ product(id: "1") { name price { amount } } me { id } }');
          if (status !== 200 || body.errors || body.data?.product?.name !== 'Saw') failures += 1;
          answered += 1;
        }
      }),
    );
    const present = new Set<number>();
    const versions = new Set<string>();
    for (let cycle = 0; cycle < 10; cycle++) {
      if (cycle === 6) {
        // A broken publication: garbage where the supergraph should be. The router keeps the one it has.
        fs.writeFileSync(file, 'type Query { this is not a supergraph');
        await new Promise((resolve) => setTimeout(resolve, 200));
        const health = await readJson(await fetch(`${stack.adminUrl}/health/ready`));
        expect(health.status).toBe('ready');
        expect(health.supergraph.lastReloadError.message).toMatch(/Syntax Error/);
        expect(versions.has(health.supergraph.version)).toBe(true);
        continue;
      }
      // Each cycle publishes a different supergraph with a field the previous one did not serve.
      const added = cycle % OPTIONAL_FIELDS.length;
      if (present.has(added)) present.delete(added);
      else present.add(added);
      const field = OPTIONAL_FIELDS[added];
      if (present.has(added)) {
        // Not served before this publication…
        expect((await stack.graphql(field.query)).body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      }
      publish(file, supergraphWith(present));
      if (present.has(added)) expect(await served(field.query)).toBe(true);
      else expect(await served(`{ __type(name: "Query") { name } }`)).toBe(true);
      const health = await readJson(await fetch(`${stack.adminUrl}/health/ready`));
      versions.add(health.supergraph.version);
      // Let traffic run on the new supergraph a while before the next publication.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    running = false;
    await traffic;
    expect(answered).toBeGreaterThan(100);
    expect(failures).toBe(0);
    expect(versions.size).toBeGreaterThanOrEqual(8);
  }, 120_000);

  it('never goes down on a broken or missing supergraph file, and serves the last good one', async () => {
    const good = supergraphWith(new Set([0, 1, 2, 3]));
    publish(file, good);
    expect(await served(OPTIONAL_FIELDS[0].query)).toBe(true);
    for (const broken of [
      '',
      'schema { query: Query }',
      good.replace(
        '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)',
        '@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
      ),
    ]) {
      fs.writeFileSync(file, broken);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await stack.graphql(OPTIONAL_FIELDS[0].query)).body.errors).toBeUndefined();
      expect((await fetch(`${stack.adminUrl}/health/ready`)).status).toBe(200);
    }
    fs.rmSync(file);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await stack.graphql(OPTIONAL_FIELDS[0].query)).body.errors).toBeUndefined();
    const health = await readJson(await fetch(`${stack.adminUrl}/health/ready`));
    expect(health.supergraph.lastReloadError.message).toMatch(/ENOENT/);
    publish(file, good);
  });
});

describe('hot reload from a URL', () => {
  let stack: Stack;
  let server: http.Server;
  let published = supergraphWith(new Set());

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(published);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/supergraph.graphql`;
    stack = await startStack('reloadurl', { supergraphUrl: url, supergraphPollIntervalMs: 20 });
  });
  afterAll(async () => {
    await stack.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  it('polls the URL and serves what it publishes', async () => {
    expect((await stack.graphql('{ categories { slug } }')).body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    published = supergraphWith(new Set([2]));
    const deadline = Date.now() + 10_000;
    let body = (await stack.graphql('{ categories { slug } }')).body;
    while (body.errors && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      body = (await stack.graphql('{ categories { slug } }')).body;
    }
    expect(body).toEqual({ data: { categories: [] } });
  });
});
