import type { SubgraphServer } from '../../shared';
import { Product } from '../../subgraphs/product/entities/Product';
import { createProductSubgraph, type ProductContext } from '../../subgraphs/product/server';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { execute, silentLogger, testSubgraphConfig } from '../helpers/subgraphHarness';
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../helpers/testDatabase';

describe(`product subgraph on ${testDatabaseKind}`, () => {
  let database: TestDatabase;
  let subgraph: SubgraphServer<ProductContext>;

  beforeAll(async () => {
    database = await openTestDatabase('product', 'product');
    subgraph = await createProductSubgraph({
      dataSource: database.dataSource,
      logger: silentLogger,
      config: { ...testSubgraphConfig('product', database), internalApiToken: 'x' },
    });
    await insertCategory(database.dataSource, 1, 'Kitchen');
    await insertCategory(database.dataSource, 2, 'Garden');
    await insertProducts(database.dataSource, [
      { id: 1, name: 'Claw Hammer', sku: 'HAM-001', priceCents: 1999, stock: 5, categoryId: 2 },
      { id: 2, name: 'Café Press', sku: 'KIT-ESP', priceCents: 4500, stock: 0, categoryId: 1 },
      { id: 3, name: 'Cafe Mug', sku: 'KIT-MUG', priceCents: 899, stock: 12, categoryId: 1 },
      { id: 4, name: '100% Cotton Apron', sku: 'KIT_APR', priceCents: 1250, stock: 3, categoryId: 1 },
      { id: 5, name: 'ÉCLAIR MOLD', sku: 'kit-ecl', priceCents: 5, stock: 1, categoryId: 1 },
    ]);
  });
  afterAll(async () => {
    await subgraph.stop();
    await database.drop();
  });

  const search = async (term: string) => {
    const result = await execute(
      subgraph,
      'query($term: String) { products(first: 100, filter: { search: $term }) { edges { node { id } } } }',
      { term },
    );
    expect(result.errors).toBeUndefined();
    return result.data.products.edges.map((edge: { node: { id: string } }) => Number(edge.node.id));
  };

  it.each([
    ['HAMMER', [1]],
    ['ham-0', [1]],
    ['kit-', [2, 3, 5]],
    ['café', [2]],
    ['CAFÉ', [2]],
    ['cafe', [3]],
    ['éclair', [5]],
    ['%', [4]],
    ['_', [4]],
    ['0% c', [4]],
    ['nothing like this', []],
  ])('search %j matches case-insensitively, accents and wildcards literal: %j', async (term, expected) => {
    expect(await search(term as string)).toEqual(expected);
  });

  it('refuses an empty or too long search with BAD_USER_INPUT', async () => {
    for (const term of ['   ', 'x'.repeat(101)]) {
      const result = await execute(subgraph, 'query($term: String) { products(filter: { search: $term }) { edges { cursor } } }', { term });
      expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('filters by category and pages with cursors', async () => {
    const page = async (after: string | null) =>
      (
        await execute(
          subgraph,
          'query($after: String) { products(first: 2, after: $after, filter: { categoryId: "1" }) { edges { node { id category { name } } } pageInfo { hasNextPage endCursor hasPreviousPage } } }',
          { after },
        )
      ).data.products;
    const first = await page(null);
    expect(first.edges.map((edge: any) => edge.node.id)).toEqual(['2', '3']);
    expect(first.edges[0].node.category).toEqual({ name: 'Kitchen' });
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await page(first.pageInfo.endCursor);
    expect(second.edges.map((edge: any) => edge.node.id)).toEqual(['4', '5']);
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('answers first: 0 with an empty page and refuses first above 100 or below 0', async () => {
    expect((await execute(subgraph, '{ products(first: 0) { edges { cursor } } }')).data.products.edges).toEqual([]);
    for (const first of [101, -1]) {
      const result = await execute(subgraph, 'query($first: Int) { products(first: $first) { edges { cursor } } }', { first });
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'PAGE_SIZE_EXCEEDED', maximum: 100 });
    }
  });

  it('formats prices as exact decimal strings', async () => {
    const result = await execute(
      subgraph,
      '{ a: product(id: "1") { price { amount currency } inStock } b: product(id: "5") { price { amount } } c: product(id: "2") { inStock } }',
    );
    expect(result.data).toEqual({
      a: { price: { amount: '19.99', currency: 'USD' }, inStock: true },
      b: { price: { amount: '0.05' } },
      c: { inStock: false },
    });
  });

  it('resolves entity references by id and by sku in one statement each, null for unknown ones', async () => {
    const before = database.statements.count;
    const result = await execute(
      subgraph,
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id name } } }',
      {
        representations: [
          { __typename: 'Product', id: '3' },
          { __typename: 'Product', id: '1' },
          { __typename: 'Product', id: '404' },
          { __typename: 'Product', sku: 'HAM-001' },
          { __typename: 'Product', id: 'not-an-id' },
        ],
      },
    );
    expect(result.data._entities).toEqual([
      { id: '3', name: 'Cafe Mug' },
      { id: '1', name: 'Claw Hammer' },
      null,
      { id: '1', name: 'Claw Hammer' },
      null,
    ]);
    expect(database.statements.count - before).toBe(2);
  });

  it('loads each category once per request however many products point at it', async () => {
    const before = database.statements.count;
    const result = await execute(
      subgraph,
      '{ products(first: 5) { edges { node { category { id name products(first: 2) { edges { node { id } } } } } } } }',
    );
    expect(result.errors).toBeUndefined();
    // products page, categories by id, one page of products for every category at once.
    expect(database.statements.count - before).toBe(3);
    expect(result.data.products.edges[1].node.category.products.edges.map((edge: any) => edge.node.id)).toEqual(['2', '3']);
  });

  it('enforces @requiresScopes itself on catalog writes', async () => {
    const mutation = 'mutation { adjustStock(productId: "1", delta: 1) { stock } }';
    expect((await execute(subgraph, mutation)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await execute(subgraph, mutation, {}, { 'x-user-id': '5' })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const allowed = await execute(subgraph, mutation, {}, { 'x-user-id': '5', 'x-user-scopes': 'catalog:write' });
    expect(allowed.data).toEqual({ adjustStock: { stock: 6 } });
    await execute(
      subgraph,
      'mutation { adjustStock(productId: "1", delta: -1) { stock } }',
      {},
      { 'x-user-id': '5', 'x-user-scopes': 'catalog:write' },
    );
  });

  it.each([
    [
      'a price with too many decimals',
      '{ sku: "A-1", name: "A", price: { amount: "1.999", currency: "USD" }, categoryId: "1" }',
      'BAD_USER_INPUT',
    ],
    ['a zero price', '{ sku: "A-1", name: "A", price: { amount: "0", currency: "USD" }, categoryId: "1" }', 'BAD_USER_INPUT'],
    ['a float-looking price', '{ sku: "A-1", name: "A", price: { amount: "1e3", currency: "USD" }, categoryId: "1" }', 'BAD_USER_INPUT'],
    ['a bad currency', '{ sku: "A-1", name: "A", price: { amount: "1.00", currency: "usd" }, categoryId: "1" }', 'BAD_USER_INPUT'],
    ['a bad sku', '{ sku: "a b", name: "A", price: { amount: "1.00", currency: "USD" }, categoryId: "1" }', 'BAD_USER_INPUT'],
    ['an empty name', '{ sku: "A-1", name: "  ", price: { amount: "1.00", currency: "USD" }, categoryId: "1" }', 'BAD_USER_INPUT'],
    [
      'an unknown category',
      '{ sku: "A-1", name: "A", price: { amount: "1.00", currency: "USD" }, categoryId: "99" }',
      'CATEGORY_NOT_FOUND',
    ],
    ['a taken sku', '{ sku: "HAM-001", name: "A", price: { amount: "1.00", currency: "USD" }, categoryId: "1" }', 'SKU_ALREADY_EXISTS'],
  ])('refuses to create a product with %s, writing nothing', async (_label, input, code) => {
    const before = await database.dataSource.getRepository(Product).count();
    const result = await execute(
      subgraph,
      `mutation { createProduct(input: ${input}) { id } }`,
      {},
      { 'x-user-id': '5', 'x-user-scopes': 'catalog:write' },
    );
    expect(result.errors?.[0].extensions?.code).toBe(code);
    expect(await database.dataSource.getRepository(Product).count()).toBe(before);
  });

  it('keeps searchText in step with the name and sku', async () => {
    const stored = await database.dataSource.getRepository(Product).findOneByOrFail({ id: 5 });
    expect(stored.searchText).toBe('éclair mold kit-ecl');
  });
});
