import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { coordinatesOf, readRouterConfig, UsageRecorder, UsageStore } from '../../router';
import { routerDatabase } from '../../router/usage/database';
import { ClientLabels, createLogger, type DatabaseConfig, openDataSource, parseMysqlUrl } from '../../shared';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { type Stack, startStack } from '../helpers/stack';
import { dropMysqlDatabase } from '../helpers/testDatabase';

describe('the router records which schema coordinates operations use', () => {
  let stack: Stack;
  // The usage store on the suite's database: a database of this worker's own on MySQL, else a SQLite file.
  const database: DatabaseConfig = process.env.TEST_DATABASE_URL
    ? parseMysqlUrl(process.env.TEST_DATABASE_URL, 'TEST_DATABASE_URL', `t${process.env.JEST_WORKER_ID ?? '0'}_usage_router`, 2)
    : { kind: 'sqlite', file: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'usage-')), 'router.sqlite') };

  beforeAll(async () => {
    if (database.kind === 'mysql') await dropMysqlDatabase(database);
    stack = await startStack('usage', {
      usage: {
        ...readRouterConfig({ NODE_ENV: 'test' }).usage,
        enabled: true,
        flushIntervalMs: 60_000,
        database,
      },
    });
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Saw', priceCents: 100, stock: 1, categoryId: 1 }]);
  });
  afterAll(() => stack.stop());

  it('counts coordinates per operation and client, and writes them off the hot path', async () => {
    const query =
      'query ProductPage($id: ID!) { product(id: $id) { name description category { slug } } products(first: 2, filter: { search: "s" }) { edges { cursor } } }';
    for (let i = 0; i < 3; i++) {
      await stack.graphql(query, {
        variables: { id: '1' },
        headers: { 'apollographql-client-name': 'web', 'apollographql-client-version': '1.4.0' },
      });
    }
    await stack.graphql('{ product(id: "1") { name } }');
    // Input fields given in variables: read from each request's values (the document does not show them).
    const search = 'query Search($filter: ProductFilter) { products(first: 2, filter: $filter) { edges { cursor } } }';
    for (const filter of [{ categoryId: '1' }, { categoryId: '1', search: 'saw' }]) {
      await stack.graphql(search, { variables: { filter }, headers: { 'apollographql-client-name': 'ios' } });
    }
    const store = await UsageStore.open(database);
    try {
      // Nothing is written until the recorder flushes.
      expect(await store.usesOf(['Product.description'], 7)).toEqual([]);
      await stack.router.flushUsage();
      expect(await store.usesOf(['Product.description', 'Query.products(filter:)', 'ProductFilter.search', 'Product.name'], 7)).toEqual([
        { coordinate: 'Product.description', operations: ['ProductPage'], clients: ['web@1.4.0'], count: 3 },
        { coordinate: 'Query.products(filter:)', operations: ['ProductPage', 'Search'], clients: ['ios', 'web@1.4.0'], count: 5 },
        // 3 as a literal in ProductPage, 1 in Search's variables.
        { coordinate: 'ProductFilter.search', operations: ['ProductPage', 'Search'], clients: ['ios', 'web@1.4.0'], count: 4 },
        { coordinate: 'Product.name', operations: ['(anonymous)', 'ProductPage'], clients: ['unknown', 'web@1.4.0'], count: 4 },
      ]);
      expect(await store.usesOf(['Product.stock'], 7)).toEqual([]);
      expect(await store.usesOf(['ProductFilter.categoryId'], 7)).toEqual([
        { coordinate: 'ProductFilter.categoryId', operations: ['Search'], clients: ['ios'], count: 2 },
      ]);
      // What a schema check's window holds: every request once, by its root type; older days outside it.
      expect(await store.traffic(7)).toEqual({ requests: 6, days: 1, clients: 3 });
      const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
      await store.add([{ day: tenDaysAgo, client: 'old@1', operation: 'Old', coordinate: 'Query', count: 50 }]);
      expect(await store.traffic(7)).toEqual({ requests: 6, days: 1, clients: 3 });
      expect(await store.traffic(14)).toEqual({ requests: 56, days: 2, clients: 4 });
      expect(await store.usesOf(['Category.'], 7)).toMatchObject([{ coordinate: 'Category.', operations: ['ProductPage'] }]);
    } finally {
      await store.close();
    }
  });
});

describe('the usage store stays bounded whatever clients call themselves', () => {
  // The router's own database on the suite's server (MySQL with TEST_DATABASE_URL), or a SQLite file.
  const config: DatabaseConfig = process.env.TEST_DATABASE_URL
    ? parseMysqlUrl(process.env.TEST_DATABASE_URL, 'TEST_DATABASE_URL', `t${process.env.JEST_WORKER_ID ?? '0'}_usagebound_router`, 2)
    : { kind: 'sqlite', file: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'usage-bound-')), 'router.sqlite') };
  const logger = createLogger('test', 'silent');
  const day = Date.UTC(2026, 10, 27, 12);

  beforeAll(async () => {
    if (config.kind === 'mysql') await dropMysqlDatabase(config);
  });
  afterAll(async () => {
    if (config.kind === 'mysql') await dropMysqlDatabase(config);
  });

  /** Records `n` operations through a fresh recorder, the i-th from `make(i)`, and returns the rows written. */
  async function recordAndRead(n: number, make: (i: number) => [{ name: string; version: string }, string]) {
    const store = await UsageStore.open(config);
    const recorder = new UsageRecorder(store, logger, 60_000);
    for (let i = 0; i < n; i++) recorder.record(['Query.me'], ...make(i), day);
    await recorder.stop();
    const { dataSource } = await openDataSource(config, routerDatabase);
    try {
      const rows: { client: string; operation: string; count: number | string }[] = await dataSource.query(
        'SELECT client, operation, count FROM coordinate_usage',
      );
      await dataSource.query('DELETE FROM coordinate_usage');
      return rows.map((row) => ({ ...row, count: Number(row.count) }));
    } finally {
      await dataSource.destroy();
    }
  }

  const countOf = (
    rows: { client: string; operation: string; count: number }[],
    where: (row: { client: string; operation: string }) => boolean,
  ) => rows.filter(where).reduce((sum, row) => sum + row.count, 0);

  it('keeps 50 client names of 10,000 and counts the rest as (other)', async () => {
    const rows = await recordAndRead(10_000, (i) => [{ name: `app-${i}`, version: '1.0' }, 'Me']);
    expect(new Set(rows.map((row) => row.client)).size).toBe(51);
    expect(countOf(rows, (row) => row.client === '(other)@1.0')).toBe(9_950);
    expect(countOf(rows, () => true)).toBe(10_000);
  });

  it('keeps 100 client versions of 10,000 and counts the rest as (other)', async () => {
    const rows = await recordAndRead(10_000, (i) => [{ name: 'web', version: `1.${i}` }, 'Me']);
    expect(new Set(rows.map((row) => row.client)).size).toBe(101);
    expect(countOf(rows, (row) => row.client === 'web@(other)')).toBe(9_900);
    expect(countOf(rows, () => true)).toBe(10_000);
  });

  it('keeps 200 operation names of 10,000 and counts the rest as (other)', async () => {
    const rows = await recordAndRead(10_000, (i) => [{ name: 'web', version: '1.0' }, `Operation${i}`]);
    expect(new Set(rows.map((row) => row.operation)).size).toBe(201);
    expect(countOf(rows, (row) => row.operation === '(other)')).toBe(9_800);
    expect(countOf(rows, () => true)).toBe(10_000);
  });

  it('records a name or version too long for the store, or holding a control character, as (invalid), never as sent', async () => {
    const rows = await recordAndRead(2, (i) => [{ name: i === 0 ? 'x'.repeat(500) : 'a b\u0000c', version: '1.0' }, 'Me']);
    expect(rows).toEqual([{ client: '(invalid)@1.0', operation: 'Me', count: 2 }]);
  });

  it('records client names and versions as clients write them, spaces and parentheses included, up to the column’s width', async () => {
    const longest = { name: 'n'.repeat(64), version: 'v'.repeat(35) };
    const clients = [{ name: 'Storefront Web', version: '1.2.3 (45)' }, { name: 'Caisse Été', version: 'build #7' }, longest];
    const tooLong = [
      { name: 'n'.repeat(65), version: '1' },
      { name: 'web', version: 'v'.repeat(36) },
    ];
    const rows = await recordAndRead(5, (i) => [[...clients, ...tooLong][i], 'Me']);
    expect(rows.map((row) => row.client).sort()).toEqual(
      ['Storefront Web@1.2.3 (45)', 'Caisse Été@build #7', `${longest.name}@${longest.version}`, '(invalid)@1', 'web@(invalid)'].sort(),
    );
    // The metrics keep their label pattern: what Prometheus tooling expects of a label value.
    const metricLabels = new ClientLabels();
    expect([metricLabels.clientName('Storefront Web'), metricLabels.clientVersion('1.2.3 (45)')]).toEqual(['(invalid)', '(invalid)']);
  });
});

describe('coordinatesOf', () => {
  it('lists fields, arguments, enum values and input fields used in literals', async () => {
    const stack = await startStack('coords');
    try {
      const schema = (
        stack.router.apollo as unknown as {
          internals: { state: { schemaManager: { getSchemaDerivedData(): { schema: import('graphql').GraphQLSchema } } } };
        }
      ).internals.state.schemaManager.getSchemaDerivedData().schema;
      const { parse } = await import('graphql');
      const coordinates = coordinatesOf(
        schema,
        parse('{ order(id: "1") { status items { product { id } } } products(filter: { categoryId: "1" }) { pageInfo { hasNextPage } } }'),
      );
      expect([...coordinates].sort()).toEqual(
        [
          'Query.order',
          'Query.order(id:)',
          'Order.status',
          'Order.items',
          'OrderItem.product',
          'Product.id',
          'Query.products',
          'Query.products(filter:)',
          'ProductFilter.categoryId',
          'ProductConnection.pageInfo',
          'PageInfo.hasNextPage',
        ].sort(),
      );
    } finally {
      await stack.stop();
    }
  });
});
