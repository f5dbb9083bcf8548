import type { RouterConfig } from '../../router';
import { parseConfiguredTtls } from '../../router/cache/EntityCacheConfig';
import { insertCategory, insertOrders, insertProducts, insertUsers } from '../helpers/fixtures';
import { type Stack, startStack, testRouterConfig } from '../helpers/stack';

const ORDER_PRODUCTS = /* GraphQL */ `
  query Mine {
    me { orders(first: 5) { edges { node { id items { quantity product { id name stock price { amount } } } } } } }
  }
`;
const PRODUCT = 'query Product($id: ID!) { product(id: $id) { id name stock } }';
const ADMIN_TOKEN = 'test-admin-token-for-the-entity-cache-purge';

/** The entity cache on the real stack (three subgraphs on SQLite or MySQL), in-process store. */
describe('entity cache on the real stack', () => {
  let stack: Stack;
  const cacheConfig: RouterConfig['entityCache'] = { ...testRouterConfig().entityCache, mode: 'memory', adminToken: ADMIN_TOKEN };

  /** POSTs `query` to `url` and returns the whole body, extensions included. */
  async function ask(query: string, variables: Record<string, unknown> = {}, token?: string, url = stack.routerUrl) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: any[]; extensions?: any };
  }

  beforeAll(async () => {
    stack = await startStack('entitycache', { entityCache: cacheConfig });
    await insertUsers(stack.databases.account.dataSource, [
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Bob' },
    ]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [
      { id: 1, name: 'Saw', priceCents: 100, stock: 50, categoryId: 1 },
      { id: 2, name: 'Drill', priceCents: 200, stock: 60, categoryId: 1 },
      { id: 3, name: 'Nail', priceCents: 5, stock: 70, categoryId: 1 },
    ]);
    for (const [userId, firstOrderId, productIds] of [
      [1, 1, [1, 2]],
      [2, 10, [2, 3]],
    ] as const) {
      await insertOrders(stack.databases.order.dataSource, {
        firstOrderId,
        userId,
        count: 2,
        itemsPerOrder: 2,
        productIds: [...productIds],
        unitPriceCents: () => 100,
      });
    }
  });
  afterAll(() => stack.stop());

  it('answers repeated entity fetches from the cache, and a partial hit sends only the misses', async () => {
    const ada = await stack.token('1');
    const first = await ask(ORDER_PRODUCTS, {}, ada);
    // Every fetch goes through the cache: me (account), User.orders (order) and the products of the 4 lines.
    expect(first.extensions?.entityCache).toEqual({ hits: [], misses: 6 });
    const before = stack.statementCounts().product;
    const second = await ask(ORDER_PRODUCTS, {}, ada);
    expect(second.data).toEqual(first.data);
    expect(second.extensions?.entityCache.hits).toEqual(
      [1, 2, 1, 2].map((id) => ({ subgraph: 'product', type: 'Product', key: { id: String(id) } })),
    );
    expect(stack.statementCounts().product).toBe(before);
    // Bob's orders hold products 2 and 3: product 2 comes from the cache (Product is public), 3 is fetched.
    const bob = await ask(ORDER_PRODUCTS, {}, await stack.token('2'));
    // me and User.orders carry no hint: never cached, so always misses; product 3 twice (two lines).
    expect(bob.extensions?.entityCache).toEqual({
      hits: [2, 2].map((id) => ({ subgraph: 'product', type: 'Product', key: { id: String(id) } })),
      misses: 4,
    });
    const names = bob.data.me.orders.edges.flatMap((edge: any) => edge.node.items.map((item: any) => item.product.name));
    expect(names).toEqual(['Drill', 'Nail', 'Drill', 'Nail']);
  });

  it('answers a repeated root field from the cache with no SQL, and drops it when adjustStock changes the product', async () => {
    const first = await ask(PRODUCT, { id: '1' });
    const before = stack.statementCounts().product;
    const again = await ask(PRODUCT, { id: '1' });
    expect(again.data).toEqual(first.data);
    expect(stack.statementCounts().product).toBe(before);
    expect(again.extensions?.entityCache.hits).toHaveLength(1);
    const writer = await stack.token('9', ['catalog:write']);
    const adjusted = await ask('mutation { adjustStock(productId: "1", delta: 5) { stock } }', {}, writer);
    expect(adjusted.errors).toBeUndefined();
    expect(adjusted.extensions?.changedEntities).toBeUndefined();
    expect(adjusted.extensions?.changedEntitiesInPlace).toBeUndefined();
    const after = await ask(PRODUCT, { id: '1' });
    expect(after.data.product.stock).toBe(first.data.product.stock + 5);
    expect(after.extensions?.entityCache).toEqual({ hits: [], misses: 1 });
    // With the cache off, the subgraph's declaration never reaches the client either.
    const off = await stack.startRouter({ entityCache: { ...cacheConfig, mode: 'off' } });
    try {
      const offAnswer = await ask('mutation { adjustStock(productId: "1", delta: 1) { stock } }', {}, writer, off.url);
      expect(offAnswer).toEqual({ data: { adjustStock: { stock: first.data.product.stock + 6 } }, extensions: expect.anything() });
      expect(offAnswer.extensions).not.toHaveProperty('changedEntities');
    } finally {
      await off.router.stop();
    }
  });

  it('drops the stock of every product an order took, in entity entries too', async () => {
    const ada = await stack.token('1');
    await ask(ORDER_PRODUCTS, {}, ada);
    const cached = await ask(ORDER_PRODUCTS, {}, ada);
    expect(new Set(cached.extensions?.entityCache.hits.map((hit: any) => hit.key.id))).toEqual(new Set(['1', '2']));
    const placed = await ask('mutation { placeOrder(input: { items: [{ productId: "2", quantity: 4 }] }) { id } }', {}, ada);
    expect(placed.errors).toBeUndefined();
    const fresh = await ask(PRODUCT, { id: '2' });
    const after = await ask(ORDER_PRODUCTS, {}, ada);
    const stocks = after.data.me.orders.edges.flatMap((edge: any) =>
      edge.node.items.map((item: any) => [item.product.id, item.product.stock]),
    );
    expect(stocks).toContainEqual(['2', fresh.data.product.stock]);
    expect(fresh.data.product.stock).toBe(
      cached.data.me.orders.edges[0].node.items.find((item: any) => item.product.id === '2').product.stock - 4,
    );
  });

  it('drops only the cached pages holding a product whose price changed, and every page when its name changed', async () => {
    const PAGE =
      'query Page($after: String) { products(first: 1, after: $after) { edges { cursor node { id name price { amount currency } } } } }';
    const writer = await stack.token('9', ['catalog:write']);
    const first = await ask(PAGE);
    const after = first.data.products.edges[0].cursor;
    const second = await ask(PAGE, { after });
    expect([first, second].map((page) => page.data.products.edges[0].node.id)).toEqual(['1', '2']);
    const cachedHits = async () => [
      (await ask(PAGE)).extensions?.entityCache.hits.length,
      (await ask(PAGE, { after })).extensions?.entityCache.hits.length,
    ];
    expect(await cachedHits()).toEqual([1, 1]);
    const { currency } = second.data.products.edges[0].node.price;
    const repriced = await ask(
      'mutation ($input: UpdateProductInput!) { updateProduct(id: "2", input: $input) { id } }',
      { input: { price: { amount: '2.50', currency } } },
      writer,
    );
    expect(repriced.errors).toBeUndefined();
    const before = stack.statementCounts().product;
    const pageOne = await ask(PAGE);
    expect(pageOne.extensions?.entityCache).toEqual({ hits: [{ subgraph: 'product', type: 'Query', key: {} }], misses: 0 });
    expect(stack.statementCounts().product).toBe(before);
    const pageTwo = await ask(PAGE, { after });
    expect(pageTwo.extensions?.entityCache).toEqual({ hits: [], misses: 1 });
    expect(pageTwo.data.products.edges[0].node.price.amount).toBe('2.50');
    // A new name may move the product into or out of a search: every cached page of products is dropped.
    expect(await cachedHits()).toEqual([1, 1]);
    const renamed = await ask('mutation { updateProduct(id: "2", input: { name: "Drill II" }) { id } }', {}, writer);
    expect(renamed.errors).toBeUndefined();
    expect(await cachedHits()).toEqual([0, 0]);
    expect((await ask(PAGE, { after })).data.products.edges[0].node.name).toBe('Drill II');
  });

  it('caches answers without a hint for their caller alone where ENTITY_CACHE_TTLS names them, dropped by a write', async () => {
    const configured = await stack.startRouter({
      entityCache: { ...cacheConfig, configuredTtls: parseConfiguredTtls('account.Query=30,order.User=30') },
    });
    try {
      const MINE = 'query Mine { me { id name orders(first: 5) { edges { node { id } } } } }';
      const ada = await stack.token('1');
      const first = await ask(MINE, {}, ada, configured.url);
      expect(first.extensions?.entityCache).toEqual({ hits: [], misses: 2 });
      const before = stack.statementCounts();
      const again = await ask(MINE, {}, ada, configured.url);
      expect(again.data).toEqual(first.data);
      expect(again.extensions?.entityCache.hits).toEqual([
        { subgraph: 'account', type: 'Query', key: {} },
        { subgraph: 'order', type: 'User', key: { id: '1' } },
      ]);
      expect([stack.statementCounts().account, stack.statementCounts().order]).toEqual([before.account, before.order]);
      // Bob is never answered from Ada's entries.
      const bob = await ask(MINE, {}, await stack.token('2'), configured.url);
      expect(bob.extensions?.entityCache).toEqual({ hits: [], misses: 2 });
      expect(bob.data.me.id).toBe('2');
      // Ada's order declares User.id=1 changed: every entry holding her (her orders, and `me`) is dropped.
      const placed = await ask(
        'mutation { placeOrder(input: { items: [{ productId: "3", quantity: 1 }] }) { id } }',
        {},
        ada,
        configured.url,
      );
      expect(placed.errors).toBeUndefined();
      const after = await ask(MINE, {}, ada, configured.url);
      expect(after.data.me.orders.edges[0].node.id).toBe(placed.data.placeOrder.id);
      expect(after.extensions?.entityCache).toEqual({ hits: [], misses: 2 });
    } finally {
      await configured.router.stop();
    }
  });

  it('keeps Cache-Control on GETs from the hints, with the remaining TTL on a hit, and tags the response for a CDN', async () => {
    const get = async (query: string) => {
      const search = new URLSearchParams({ query });
      return fetch(`${stack.routerUrl}?${search}`, { headers: { 'apollo-require-preflight': 'true' } });
    };
    const query = '{ product(id: "3") { id name } }';
    const cold = await get(query);
    expect(cold.headers.get('cache-control')).toBe('max-age=60, public');
    const warm = await get(query);
    expect(warm.headers.get('cache-control')).toMatch(/^max-age=(59|60), public$/);
    expect(warm.headers.get('cache-tag')?.split(',').map(decodeURIComponent).sort()).toEqual(['Product', 'Product.id=3']);
    const stock = await get('{ product(id: "3") { stock } }');
    await stock.arrayBuffer();
    const stockWarm = await get('{ product(id: "3") { stock } }');
    expect(stockWarm.headers.get('cache-control')).toMatch(/^max-age=(9|10), public$/);
  });

  it('purges on POST /cache/invalidate with the admin credential, and refuses without it', async () => {
    await ask(PRODUCT, { id: '3' });
    expect((await ask(PRODUCT, { id: '3' })).extensions?.entityCache.misses).toBe(0);
    const purge = (body: unknown, token?: string) =>
      fetch(`${stack.adminUrl}/cache/invalidate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const refused = await purge({ types: ['Product'] });
    expect(refused.status).toBe(401);
    expect((await ask(PRODUCT, { id: '3' })).extensions?.entityCache.misses).toBe(0);
    const wrong = await purge({ types: 'Product' }, ADMIN_TOKEN);
    expect(wrong.status).toBe(400);
    const refusal = (await wrong.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(refusal.errors[0]).toEqual({ message: 'types must be a list of non-empty strings.', extensions: { code: 'BAD_REQUEST' } });
    const purged = await purge({ entities: [{ type: 'Product', key: { id: '3' } }] }, ADMIN_TOKEN);
    expect(purged.status).toBe(200);
    expect(await purged.json()).toEqual({ invalidated: ['Product.id=3'] });
    expect((await ask(PRODUCT, { id: '3' })).extensions?.entityCache.misses).toBe(1);
  });

  it('counts hits, misses and invalidations in the metrics', async () => {
    const text = await (await fetch(`${stack.adminUrl}/metrics`)).text();
    expect(text).toMatch(/entity_cache_hits_total\{subgraph="product",type="Product"[^}]*\} [1-9]/);
    expect(text).toMatch(/entity_cache_hits_total\{subgraph="product",type="Query"[^}]*\} [1-9]/);
    expect(text).toMatch(/entity_cache_partial_hits_total\{subgraph="product"[^}]*\} [1-9]/);
    expect(text).toMatch(/entity_cache_invalidations_total\{origin="mutation"[^}]*\} [1-9]/);
    expect(text).toMatch(/entity_cache_invalidations_total\{origin="admin"[^}]*\} 1/);
  });
});
