import { type Router, type RouterConfig } from '../../router';
import { type FaultyProxy, startFaultyProxy } from '../helpers/faultyProxy';
import { insertCategory, insertProducts, insertUsers } from '../helpers/fixtures';
import { type Stack, startStack } from '../helpers/stack';

describe('in-flight deduplication of identical subgraph queries', () => {
  let stack: Stack;
  const open: { router: Router; proxies: FaultyProxy[] }[] = [];

  beforeAll(async () => {
    stack = await startStack('dedupe');
    await insertUsers(stack.databases.account.dataSource, [
      { id: 7, name: 'Grace' },
      { id: 8, name: 'Heidi' },
    ]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Saw', priceCents: 100, stock: 100, categoryId: 1 }]);
  });
  afterEach(async () => {
    for (const { router, proxies } of open.splice(0)) {
      await router.stop();
      for (const proxy of proxies) await proxy.close();
    }
  });
  afterAll(() => stack.stop());

  /** A router whose subgraphs each answer 300 ms late, so that concurrent requests overlap. */
  async function slowRouter(overrides: Partial<RouterConfig> = {}) {
    const account = await startFaultyProxy(stack.subgraphUrls.account, () => 'slow');
    const product = await startFaultyProxy(stack.subgraphUrls.product, () => 'slow');
    const order = await startFaultyProxy(stack.subgraphUrls.order, () => 'slow');
    const { router, url } = await stack.startRouter({
      ...overrides,
      subgraphUrls: { ACCOUNT: account.url, PRODUCT: product.url, ORDER: order.url },
    });
    open.push({ router, proxies: [account, product, order] });
    const ask = async (query: string, userId?: string, variables?: Record<string, unknown>) => {
      const authorization: Record<string, string> = userId ? { authorization: `Bearer ${await stack.token(userId)}` } : {};
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authorization },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: any; errors?: unknown[] };
    };
    return { account, product, order, ask };
  }

  it('sends one subgraph request for identical queries in flight together, and answers every one', async () => {
    const { product, ask } = await slowRouter();
    const answers = await Promise.all(Array.from({ length: 5 }, () => ask('{ product(id: "1") { name } }')));
    expect(answers.map(({ data, errors }) => ({ data, errors }))).toEqual(
      Array(5).fill({ data: { product: { name: 'Saw' } }, errors: undefined }),
    );
    expect(product.requests).toHaveLength(1);
  });

  it('never shares a call between two callers', async () => {
    const { account, ask } = await slowRouter();
    const answers = await Promise.all([...Array(4).fill('7'), ...Array(4).fill('8')].map((user) => ask('{ me { id name } }', user)));
    expect(answers.map((answer) => answer.data.me.name)).toEqual([...Array(4).fill('Grace'), ...Array(4).fill('Heidi')]);
    expect(account.requests).toHaveLength(2);
    expect(new Set(account.requests.map((request) => request.headers['x-user-id']))).toEqual(new Set(['7', '8']));
  });

  it('never shares a mutation: each is sent (and idempotency makes them one order)', async () => {
    const { order, ask } = await slowRouter();
    const mutation =
      'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items, idempotencyKey: "dedupe-test-1" }) { id } }';
    const answers = await Promise.all(Array.from({ length: 3 }, () => ask(mutation, '7', { items: [{ productId: '1', quantity: 1 }] })));
    expect(new Set(answers.map((answer) => answer.data.placeOrder.id)).size).toBe(1);
    expect(order.requests.filter((request) => request.body.includes('mutation'))).toHaveLength(3);
  });

  it('can be turned off', async () => {
    const { product, ask } = await slowRouter({ deduplicateQueries: false });
    await Promise.all(Array.from({ length: 3 }, () => ask('{ product(id: "1") { name } }')));
    expect(product.requests).toHaveLength(3);
  });
});
