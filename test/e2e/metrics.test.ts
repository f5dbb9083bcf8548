import { insertCategory, insertOrders, insertProducts, insertUsers } from '../helpers/fixtures';
import { parsePrometheus, sampleValue, scrape } from '../helpers/prometheus';
import { type Stack, startStack } from '../helpers/stack';

describe('Prometheus metrics on every process', () => {
  let stack: Stack;
  const subgraphMetrics = (name: 'account' | 'product' | 'order') => `${new URL(stack.subgraphUrls[name]).origin}/metrics`;

  beforeAll(async () => {
    stack = await startStack('metrics');
    await insertUsers(stack.databases.account.dataSource, [{ id: 1, name: 'Ada' }]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [
      { id: 1, name: 'Saw', priceCents: 100, stock: 5, categoryId: 1 },
      { id: 2, name: 'Drill', priceCents: 900, stock: 5, categoryId: 1 },
    ]);
    await insertOrders(stack.databases.order.dataSource, {
      firstOrderId: 1,
      userId: 1,
      count: 4,
      itemsPerOrder: 2,
      productIds: [1, 2],
      unitPriceCents: () => 100,
    });
  });
  afterAll(() => stack.stop());

  it('serves parseable Prometheus text with process, request, subgraph, pool and cost metrics', async () => {
    await stack.graphql('{ product(id: "1") { name } }');
    const router = await scrape(`${stack.adminUrl}/metrics`);
    const names = new Set(router.map((sample) => sample.name));
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'graphql_requests_total',
      'graphql_request_duration_seconds_bucket',
      'subgraph_fetch_duration_seconds_bucket',
      'subgraph_circuit_state',
      'demand_estimated_cost_bucket',
      'demand_actual_cost_bucket',
    ]) {
      expect(names).toContain(name);
    }
    for (const subgraph of ['account', 'product', 'order'] as const) {
      const samples = await scrape(subgraphMetrics(subgraph));
      expect(samples.map((sample) => sample.name)).toEqual(
        expect.arrayContaining(['db_pool_connections', 'db_statements_total', 'process_resident_memory_bytes']),
      );
      expect(samples.find((sample) => sample.name === 'db_pool_connections')?.labels.service).toBe(subgraph);
    }
  });

  it('moves the request, subgraph-fetch, statement and cost counters by exactly what was sent', async () => {
    const labels = { operation: 'ProductName', client_name: 'web-shop', client_version: '1.2.3', outcome: 'success' };
    const routerBefore = await scrape(`${stack.adminUrl}/metrics`);
    const productBefore = await scrape(subgraphMetrics('product'));
    const statementsBefore = stack.statementCounts().product;
    for (let i = 0; i < 3; i++) {
      const { body } = await stack.graphql('query ProductName { product(id: "2") { name } }', {
        headers: { 'apollographql-client-name': 'web-shop', 'apollographql-client-version': '1.2.3' },
      });
      expect(body.errors).toBeUndefined();
    }
    const routerAfter = await scrape(`${stack.adminUrl}/metrics`);
    const productAfter = await scrape(subgraphMetrics('product'));
    const delta = (before: typeof routerBefore, after: typeof routerBefore, name: string, match: Record<string, string> = {}) =>
      sampleValue(after, name, match) - sampleValue(before, name, match);

    expect(delta(routerBefore, routerAfter, 'graphql_requests_total', labels)).toBe(3);
    expect(
      delta(routerBefore, routerAfter, 'graphql_request_duration_seconds_count', { operation: 'ProductName', outcome: 'success' }),
    ).toBe(3);
    expect(delta(routerBefore, routerAfter, 'subgraph_fetch_duration_seconds_count', { subgraph: 'product', outcome: 'ok' })).toBe(3);
    expect(delta(routerBefore, routerAfter, 'subgraph_fetch_duration_seconds_count', { subgraph: 'order' })).toBe(0);
    expect(delta(routerBefore, routerAfter, 'demand_estimated_cost_count')).toBe(3);
    // The subgraph counts the fetches the router made, and the statements they cost.
    expect(delta(productBefore, productAfter, 'graphql_requests_total', { outcome: 'success' })).toBe(3);
    expect(delta(productBefore, productAfter, 'db_statements_total')).toBe(stack.statementCounts().product - statementsBefore);
    expect(stack.statementCounts().product - statementsBefore).toBeGreaterThanOrEqual(3);
  });

  it('observes DataLoader batch sizes in the subgraph that ran the batch', async () => {
    const before = await scrape(subgraphMetrics('order'));
    const { body } = await stack.graphql('{ user(id: "1") { orders(first: 10) { edges { node { items { quantity } } } } } }', { as: '1' });
    expect(body.errors).toBeUndefined();
    expect(body.data.user.orders.edges).toHaveLength(4);
    const after = await scrape(subgraphMetrics('order'));
    const batches = (samples: typeof after) => samples.filter((sample) => sample.name === 'dataloader_batch_size_count');
    const grew = batches(after).filter((sample) => sample.value > sampleValue(before, sample.name, sample.labels));
    expect(grew.length).toBeGreaterThanOrEqual(1);
    // The items of the four orders came in one batch of four keys.
    const items = grew.find((sample) => /OrderItem/.test(sample.labels.loader));
    expect(items).toBeDefined();
    const labels = items?.labels ?? {};
    expect(sampleValue(after, 'dataloader_batch_size_sum', labels) - sampleValue(before, 'dataloader_batch_size_sum', labels)).toBe(4);
    // Another subgraph's batches are not counted here.
    expect(batches(after).every((sample) => !/^(User|Product|Address|Category)\./.test(sample.labels.loader))).toBe(true);
  });

  it('counts errors by code: validation errors, refusals before GraphQL, and partial results', async () => {
    const before = await scrape(`${stack.adminUrl}/metrics`);
    await stack.graphql('{ product(id: "1") { nope } }');
    const refused = await stack.graphql('{ me { name } }', { headers: { authorization: 'Bearer not-a-token' } });
    expect(refused.status).toBe(401);
    const anonymous = await stack.graphql('{ product(id: "1") { name } user(id: "1") { name email } }');
    expect(anonymous.body.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    const after = await scrape(`${stack.adminUrl}/metrics`);
    const delta = (name: string, match: Record<string, string>) => sampleValue(after, name, match) - sampleValue(before, name, match);
    expect(delta('graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta('graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(2);
    expect(delta('graphql_requests_total', { outcome: 'refused' })).toBe(1);
    expect(delta('graphql_requests_total', { outcome: 'partial' })).toBe(1);
    expect(delta('graphql_requests_total', { outcome: 'error' })).toBe(1);
  });

  it('keeps client-controlled labels bounded', async () => {
    const { body } = await stack.graphql('query Weird { product(id: "1") { name } }', {
      headers: { 'apollographql-client-name': 'x'.repeat(500), 'apollographql-client-version': 'v1" {evil}' },
    });
    expect(body.errors).toBeUndefined();
    const samples = await scrape(`${stack.adminUrl}/metrics`);
    const weird = samples.filter((sample) => sample.name === 'graphql_requests_total' && sample.labels.operation === 'Weird');
    expect(weird.map((sample) => [sample.labels.client_name, sample.labels.client_version])).toEqual([['(invalid)', '(invalid)']]);
  });

  it('keeps the router metrics off the public port, and subgraph metrics outside the credential check', async () => {
    expect((await fetch(new URL('/metrics', stack.routerUrl))).status).toBe(404);
    const subgraph = await fetch(subgraphMetrics('order'));
    expect(subgraph.status).toBe(200);
    expect(() => parsePrometheus('graphql_requests_total{outcome="ok" 1')).toThrow();
  });
});
