import { insertCategory, insertOrders, insertProducts, insertUsers } from '../helpers/fixtures';
import { type Stack, startStack, testRouterConfig } from '../helpers/stack';

const ORDER_PRODUCTS = /* GraphQL */ `
  query Mine {
    me { orders(first: 5) { edges { node { id items { quantity product { id name stock price { amount } } } } } } }
  }
`;

describe('entity cache (in-process store)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('entitycache', { entityCache: { ...testRouterConfig().entityCache, mode: 'memory' } });
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
    for (const [userId, firstOrderId] of [
      [1, 1],
      [2, 10],
    ]) {
      await insertOrders(stack.databases.order.dataSource, {
        firstOrderId,
        userId,
        count: 2,
        itemsPerOrder: 2,
        productIds: userId === 1 ? [1, 2] : [2, 3],
        unitPriceCents: () => 100,
      });
    }
  });
  afterAll(() => stack.stop());

  it('answers a repeated entity fetch from the cache', async () => {
    const first = await stack.graphql(ORDER_PRODUCTS, { as: '1' });
    const before = stack.statementCounts().product;
    const second = await stack.graphql(ORDER_PRODUCTS, { as: '1' });
    console.log(JSON.stringify(first.body), JSON.stringify((second.body as any).extensions));
    expect(second.body).toEqual(first.body);
    expect(stack.statementCounts().product).toBe(before);
  });
});
