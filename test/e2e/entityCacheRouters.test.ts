import type { Router, RouterConfig } from '../../router';
import { insertCategory, insertOrders, insertProducts, insertUsers } from '../helpers/fixtures';
import { INTERNAL_TOKEN, type Stack, startStack, testRouterConfig } from '../helpers/stack';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PRODUCTS = [1, 2, 3, 4, 5];
const PAIRS = 1_000;
const READERS = 2;

/**
 * Two routers sharing the Redis store: a write through router A is seen by the next read through router B, on the
 * root-field path and on the entity path, while other clients keep reading the same products through both.
 */
describe('entity cache shared by two routers (Redis store)', () => {
  let stack: Stack;
  let other: { router: Router; url: string };
  /** A third router with the in-process store, told of invalidations over Redis pub/sub. */
  let inProcess: { router: Router; url: string };
  const base = testRouterConfig();
  // Budgets off: the test sends thousands of operations from one client.
  const overrides: Partial<RouterConfig> = {
    entityCache: { ...base.entityCache, mode: 'redis', redisUrl: REDIS_URL },
    demand: { ...base.demand, budget: { ...base.demand.budget, mode: 'off' } },
  };

  beforeAll(async () => {
    // The subgraphs publish what their writes change, for writes that bypass the routers.
    stack = await startStack('entitycacherouters', overrides, undefined, undefined, { cacheRedisUrl: REDIS_URL });
    other = await stack.startRouter(overrides);
    inProcess = await stack.startRouter({ ...overrides, entityCache: { ...base.entityCache, mode: 'memory', redisUrl: REDIS_URL } });
    await insertUsers(stack.databases.account.dataSource, [{ id: 1, name: 'Ada' }]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(
      stack.databases.product.dataSource,
      PRODUCTS.map((id) => ({ id, name: `Product ${id}`, priceCents: 100, stock: 1_000, categoryId: 1 })),
    );
    await insertOrders(stack.databases.order.dataSource, {
      firstOrderId: 1,
      userId: 1,
      count: 1,
      itemsPerOrder: PRODUCTS.length,
      productIds: PRODUCTS,
      unitPriceCents: () => 100,
    });
  });
  afterAll(async () => {
    await inProcess?.router.stop();
    await other?.router.stop();
    await stack?.stop();
  });

  async function ask(url: string, query: string, token?: string) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  it(`after adjustStock through router A, router B answers the new stock: 0 stale reads over ${PAIRS} pairs under read load`, async () => {
    const writer = await stack.token('9', ['catalog:write']);
    const ada = await stack.token('1');
    const ORDERS = '{ me { orders(first: 1) { edges { node { items { product { id stock } } } } } } }';
    let reading = true;
    let backgroundReads = 0;
    const readers = Array.from({ length: READERS }, async (_, reader) => {
      for (let n = 0; reading; n++) {
        const url = (reader + n) % 2 === 0 ? stack.routerUrl : other.url;
        const id = PRODUCTS[(reader + n) % PRODUCTS.length];
        await ask(url, n % 3 === 0 ? ORDERS : `{ product(id: "${id}") { id stock } }`, n % 3 === 0 ? ada : undefined);
        backgroundReads += 1;
      }
    });
    const hitsBefore = hitsOf(other.router);
    let staleRoot = 0;
    let staleEntity = 0;
    try {
      for (let pair = 0; pair < PAIRS; pair++) {
        const id = PRODUCTS[pair % PRODUCTS.length];
        const delta = pair % 2 === 0 ? -1 : 2;
        const written = await ask(stack.routerUrl, `mutation { adjustStock(productId: "${id}", delta: ${delta}) { stock } }`, writer);
        const expected = written.adjustStock.stock;
        const root = await ask(other.url, `{ product(id: "${id}") { id stock } }`);
        if (root.product.stock !== expected) staleRoot += 1;
        const orders = await ask(other.url, ORDERS, ada);
        const item = orders.me.orders.edges[0].node.items.find((line: any) => line.product.id === String(id));
        if (item.product.stock !== expected) staleEntity += 1;
      }
    } finally {
      reading = false;
      await Promise.all(readers);
    }
    const hits = hitsOf(other.router) - hitsBefore;
    console.log(
      `${PAIRS} write-then-read pairs across two routers: ${staleRoot} stale root-field reads, ${staleEntity} stale entity reads; ${backgroundReads} concurrent reads; router B answered ${hits} fetches from the cache`,
    );
    expect({ staleRoot, staleEntity }).toEqual({ staleRoot: 0, staleEntity: 0 });
    // The cache was in play: the background readers' fills were being read back through router B.
    expect(hits).toBeGreaterThan(0);
  }, 600_000);

  it('a write through the internal stock API (no router) reaches every router through Redis, in-process stores included', async () => {
    const read = async (url: string) => (await ask(url, '{ product(id: "5") { stock } }')).product.stock as number;
    const routers = [other, inProcess];
    for (const { url } of routers) await read(url);
    const cachedStocks = await Promise.all(routers.map(({ url }) => read(url)));
    const remoteBefore = routers.map(({ router }) => router.entityCache?.stats.invalidations.remote ?? 0);
    const productBase = stack.subgraphUrls.product.replace('/graphql', '');
    const reserved = await fetch(`${productBase}/internal/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INTERNAL_TOKEN}` },
      body: JSON.stringify({ reservationKey: `bypass-${Date.now()}`, lines: [{ productId: '5', quantity: 3 }] }),
    });
    expect(reserved.status).toBe(200);
    // Pub/sub is asynchronous: wait for each router to have received the invalidation, then read.
    for (const [index, { router }] of routers.entries()) {
      await until(() => (router.entityCache?.stats.invalidations.remote ?? 0) > remoteBefore[index]);
    }
    const after = await Promise.all(routers.map(({ url }) => read(url)));
    expect(after).toEqual(cachedStocks.map((stock) => stock - 3));
  });
});

/** Resolves once `condition` holds (checked every 10 ms), failing after 10 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the invalidation to arrive');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How many fetches `router` answered from the entity cache. */
function hitsOf(router: Router): number {
  return [...(router.entityCache?.stats.byType.values() ?? [])].reduce((sum, counters) => sum + counters.hits, 0);
}
