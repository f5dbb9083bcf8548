import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryPlanner } from '@apollo/query-planner';
import { ApolloServer } from '@apollo/server';
import { buildManifest, type Router, readRouterConfig, UsageStore } from '../../router';
import type { RouterConfig } from '../../router/RouterConfig';
import { parseMysqlUrl } from '../../shared';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { type Stack, startStack } from '../helpers/stack';
import { dropMysqlDatabase } from '../helpers/testDatabase';

const PRODUCT_PAGE = 'query ProductPage($id: ID!) {\n  product(id: $id) { name price { amount currency } category { name } }\n}';
const MY_ORDERS =
  'query MyOrders($first: Int!) {\n  me { name orders(first: $first) { edges { node { id items { quantity product { name price { amount } } } } } } }\n}';
// A mutation: warming plans it and calls no subgraph, so no order is placed.
const PLACE_ORDER = 'mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) { id }\n}';
const CATALOG = 'query Catalog {\n  products(first: 5) { edges { node { name category { name } } } }\n}';

/** Calls to the planner of this module registry (the router's gateway plans with it). */
function countPlans(): { count: () => number; restore: () => void } {
  const spy = jest.spyOn(QueryPlanner.prototype, 'buildQueryPlan');
  return { count: () => spy.mock.calls.length, restore: () => spy.mockRestore() };
}

async function readiness(adminUrl: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${adminUrl}/health/ready`);
  return { status: response.status, body: await response.json() };
}

describe('query plans warmed before readiness', () => {
  let stack: Stack;
  let dir: string;
  const web = { 'apollographql-client-name': 'web', 'apollographql-client-version': '1.0.0' };

  beforeAll(async () => {
    stack = await startStack('warmup');
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Saw', priceCents: 1250, stock: 3, categoryId: 1 }]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-'));
    const list = buildManifest({ name: 'web', version: '1.0.0' }, [
      { file: 'web.graphql', text: [PRODUCT_PAGE, MY_ORDERS, PLACE_ORDER, CATALOG].join('\n\n') },
    ]);
    fs.writeFileSync(path.join(dir, 'web@1.0.0.json'), JSON.stringify(list));
  });
  afterAll(async () => {
    await stack.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function started(overrides: Partial<RouterConfig>): Promise<{ router: Router; url: string; adminUrl: string }> {
    const { router, url } = await stack.startRouter(overrides);
    const adminPort = (router.adminServer.address() as { port: number }).port;
    return { router, url, adminUrl: `http://127.0.0.1:${adminPort}` };
  }

  it('readiness is 503 while warming, then green with the count; the first requests build no plan, call no subgraph for warming, spend no budget', async () => {
    // Hold the warm-up's first document until readiness has been asked.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const original = ApolloServer.prototype.executeOperation;
    const held = jest.spyOn(ApolloServer.prototype, 'executeOperation').mockImplementation(async function (
      this: ApolloServer<any>,
      ...args
    ) {
      await gate;
      return (original as any).apply(this, args);
    });
    const take = jest.spyOn((await import('../../router/demand/BudgetStore')).InMemoryBudgetStore.prototype, 'take');
    const plans = countPlans();
    const subgraphStatements = stack.statementCounts();
    const { router, url, adminUrl } = await started({ trustedDocuments: { mode: 'allow', dir } });
    try {
      const warming = await readiness(adminUrl);
      expect(warming.status).toBe(503);
      expect(warming.body).toMatchObject({ status: 'warming', warmup: { state: 'warming', documents: 4, warmed: 0 } });
      release();
      const report = await router.warmed;
      held.mockRestore();
      expect(report).toMatchObject({ state: 'done', documents: 4, warmed: 4, skipped: 0, notReached: 0 });
      // (Before readiness answers 200: its body asks each subgraph's own readiness, which runs a statement.)
      expect(stack.statementCounts()).toEqual(subgraphStatements);
      const ready = await readiness(adminUrl);
      expect(ready.status).toBe(200);
      expect(ready.body.warmup).toMatchObject({ state: 'done', warmed: 4 });

      // Warming planned every document (the mutation and the operations needing variables too), reached no
      // subgraph, took from no budget and counted no request.
      expect(plans.count()).toBeGreaterThanOrEqual(4);
      expect(router.stats.subgraphRequests).toBe(0);
      expect(take).not.toHaveBeenCalled();
      const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
      expect(metrics).not.toMatch(/^graphql_requests_total\{/m);
      expect(metrics).toMatch(/^demand_estimated_cost_count(\{[^}]*\})? 0$/m);

      // The first real requests of warmed documents build no plan, and are answered by the subgraphs.
      const before = plans.count();
      const token = await stack.token('1');
      const post = async (query: string, variables: Record<string, unknown>, operationName: string, auth = false) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...web, ...(auth ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables, operationName }),
        });
        return (await response.json()) as any;
      };
      expect((await post(PRODUCT_PAGE, { id: '1' }, 'ProductPage')).data.product.name).toBe('Saw');
      expect((await post(CATALOG, {}, 'Catalog')).data.products.edges[0].node.name).toBe('Saw');
      await post(MY_ORDERS, { first: 3 }, 'MyOrders', true);
      expect(plans.count()).toBe(before);
      expect(router.stats.subgraphRequests).toBeGreaterThan(0);
      expect(take).toHaveBeenCalled();
      // A document nobody warmed is planned on its first request (the count can fail).
      await post('query Other { categories { name } }', {}, 'Other');
      expect(plans.count()).toBe(before + 1);
    } finally {
      held.mockRestore();
      take.mockRestore();
      plans.restore();
      await router.stop();
    }
  });

  it('prints the first requests’ latency and CPU with and without warming (a measurement, not an assertion on time)', async () => {
    const token = await stack.token('1');
    const documents: [string, Record<string, unknown>, string][] = [
      [PRODUCT_PAGE, { id: '1' }, 'ProductPage'],
      [CATALOG, {}, 'Catalog'],
      [MY_ORDERS, { first: 3 }, 'MyOrders'],
    ];
    const firstRequests = async (maxDocuments: number) => {
      const { router, url } = await started({ trustedDocuments: { mode: 'allow', dir }, warmup: { maxDocuments, timeoutMs: 10_000 } });
      try {
        await router.warmed;
        const cpu = process.cpuUsage();
        const started = performance.now();
        for (const [query, variables, operationName] of documents) {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...web },
            body: JSON.stringify({ query, variables, operationName }),
          });
          expect(((await response.json()) as any).errors).toBeUndefined();
        }
        const used = process.cpuUsage(cpu);
        return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
      } finally {
        await router.stop();
      }
    };
    const cold: { ms: number; cpuMs: number }[] = [];
    const warm: { ms: number; cpuMs: number }[] = [];
    for (let round = 0; round < 3; round++) {
      cold.push(await firstRequests(0));
      warm.push(await firstRequests(500));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)].toFixed(1);
    console.log(
      `first ${documents.length} requests of a new router (median of 3, router and subgraphs in one process): ` +
        `without warming ${median(cold.map((r) => r.ms))} ms wall, ${median(cold.map((r) => r.cpuMs))} ms CPU; ` +
        `warmed ${median(warm.map((r) => r.ms))} ms wall, ${median(warm.map((r) => r.cpuMs))} ms CPU`,
    );
  });

  it('the time bound holds with a document set too large: readiness turns green with the rest not reached', async () => {
    const large = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-large-'));
    const text = Array.from(
      { length: 3000 },
      (_, i) =>
        `query Q${i} { a${i}: product(id: "${i}") { name price { amount } category { name products(first: 2) { edges { cursor } } } } }`,
    ).join('\n\n');
    fs.writeFileSync(
      path.join(large, 'big@1.json'),
      JSON.stringify(buildManifest({ name: 'big', version: '1' }, [{ file: 'big.graphql', text }])),
    );
    const { router, adminUrl } = await started({
      trustedDocuments: { mode: 'allow', dir: large },
      warmup: { maxDocuments: 2500, timeoutMs: 200 },
    });
    try {
      const report = await router.warmed;
      expect(report.state).toBe('timedOut');
      expect(report.documents).toBe(2500);
      expect(report.notReached).toBeGreaterThan(0);
      expect(report.warmed + report.skipped + report.notReached).toBe(2500);
      const ready = await readiness(adminUrl);
      expect(ready.status).toBe(200);
      expect(ready.body.warmup.state).toBe('timedOut');
      console.log(`time bound: ${report.warmed} of 2500 documents warmed in ${report.ms} ms (WARM_TIMEOUT_MS=200)`);
    } finally {
      await router.stop();
      fs.rmSync(large, { recursive: true, force: true });
    }
  });
});

describe('the shared record of the most used documents', () => {
  const database: RouterConfig['usage']['database'] = process.env.TEST_DATABASE_URL
    ? parseMysqlUrl(process.env.TEST_DATABASE_URL, 'TEST_DATABASE_URL', `t${process.env.JEST_WORKER_ID ?? '0'}_warm_router`, 2)
    : { kind: 'sqlite', file: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'warm-record-')), 'router.sqlite') };
  const usage = (): RouterConfig['usage'] => ({
    ...readRouterConfig({ NODE_ENV: 'test' }).usage,
    enabled: true,
    flushIntervalMs: 60_000,
    database,
  });
  let stack: Stack;

  beforeAll(async () => {
    if (database.kind === 'mysql') await dropMysqlDatabase(database);
    stack = await startStack('warmrecord');
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Saw', priceCents: 1250, stock: 3, categoryId: 1 }]);
  });
  afterAll(() => stack.stop());

  it('keeps only the most used documents, however many are written', async () => {
    const store = await UsageStore.open(database);
    try {
      const uses = Array.from({ length: 12 }, (_, i) => ({
        id: `${i}`.padStart(64, '0'),
        operationName: `Op${i}`,
        body: `{ a${i}: categories { name } }`,
        count: i + 1,
      }));
      await store.addDocuments(uses.slice(0, 6), 5);
      await store.addDocuments(uses.slice(6), 5);
      expect((await store.topDocuments(100)).map((row) => row.operationName)).toEqual(['Op11', 'Op10', 'Op9', 'Op8', 'Op7']);
      // Counts add up across writes (another router's, say); Op0 left at the second write and comes back.
      await store.addDocuments([{ ...uses[0], count: 99 }], 5);
      await store.addDocuments(
        [
          { ...uses[0], count: 1 },
          { ...uses[11], count: 1 },
        ],
        5,
      );
      const top = await store.topDocuments(100);
      expect(top.map((row) => [row.operationName, row.count])).toEqual([
        ['Op0', 100],
        ['Op11', 13],
        ['Op10', 11],
        ['Op9', 10],
        ['Op8', 9],
      ]);
    } finally {
      await store.close();
    }
  });

  it('a document run through one router is warmed by the next one to start', async () => {
    const recordQuery = '{ products(first: 1) { edges { node { name price { currency } } } } }';
    const first = await stack.startRouter({ usage: usage(), trustedDocuments: { mode: 'off', dir: '' } });
    try {
      await first.router.warmed;
      for (let i = 0; i < 3; i++) {
        const response = await fetch(first.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: recordQuery }),
        });
        expect(((await response.json()) as any).data.products.edges[0].node.name).toBe('Saw');
      }
      await first.router.flushUsage();
    } finally {
      await first.router.stop();
    }
    const plans = countPlans();
    const second = await stack.startRouter({ usage: usage(), trustedDocuments: { mode: 'off', dir: '' } });
    try {
      const report = await second.router.warmed;
      expect(report.warmed).toBeGreaterThanOrEqual(1);
      const before = plans.count();
      const response = await fetch(second.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: recordQuery }),
      });
      expect(((await response.json()) as any).data.products.edges[0].node.name).toBe('Saw');
      expect(plans.count()).toBe(before);
    } finally {
      plans.restore();
      await second.router.stop();
    }
  });
});
