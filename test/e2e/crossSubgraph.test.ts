import { insertCategory, insertOrders, insertProducts, insertUsers } from '../helpers/fixtures';
import { type Stack, startStack } from '../helpers/stack';

const CROSS_SUBGRAPH_QUERY = /* GraphQL */ `
  query UserOrders($id: ID!, $first: Int!) {
    user(id: $id) {
      name
      orders(first: $first) {
        edges { node { id total { amount currency } items { quantity product { name price { amount currency } } } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

const priceOf = (productId: number) => 1000 + productId * 7;

describe('a query across all three subgraphs, through the router', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('cross');
    await insertUsers(stack.databases.account.dataSource, [
      { id: 1, name: 'Ada Two-Orders' },
      { id: 2, name: 'Bea Fifty-Orders' },
      { id: 3, name: 'Cy No-Orders' },
    ]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Kitchen');
    await insertProducts(
      stack.databases.product.dataSource,
      Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `Product ${i + 1}`, priceCents: priceOf(i + 1), stock: 10, categoryId: 1 })),
    );
    await insertOrders(stack.databases.order.dataSource, {
      firstOrderId: 1,
      userId: 1,
      count: 2,
      itemsPerOrder: 2,
      productIds: [1, 2, 3],
      unitPriceCents: priceOf,
    });
    await insertOrders(stack.databases.order.dataSource, {
      firstOrderId: 100,
      userId: 2,
      count: 50,
      itemsPerOrder: 5,
      productIds: Array.from({ length: 30 }, (_, i) => i + 1),
      unitPriceCents: (id) => priceOf(id) - 1, // snapshots differ from today's price
    });
  });

  afterAll(() => stack.stop());

  it.each([
    ['a user with 2 orders', '1', 2, 2],
    ['a user with 50 orders of 5 items', '2', 50, 5],
  ])('answers for %s with one statement per entity type and level', async (_label, userId, orderCount, itemsPerOrder) => {
    const before = stack.statementCounts();
    const { status, body } = await stack.graphql(CROSS_SUBGRAPH_QUERY, { as: userId, variables: { id: userId, first: 50 } });
    const after = stack.statementCounts();

    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const edges = body.data.user.orders.edges;
    expect(edges).toHaveLength(orderCount);
    for (const edge of edges) expect(edge.node.items).toHaveLength(itemsPerOrder);
    // account: the user; order: the user's orders, then all their items; product: all products by id.
    expect({
      account: after.account - before.account,
      order: after.order - before.order,
      product: after.product - before.product,
    }).toEqual({ account: 1, order: 2, product: 1 });
  });

  it('returns orders newest first, totals from the price snapshots, products at today price', async () => {
    const { body } = await stack.graphql(CROSS_SUBGRAPH_QUERY, { as: '2', variables: { id: '2', first: 3 } });
    const edges = body.data.user.orders.edges;
    expect(edges.map((edge: any) => edge.node.id)).toEqual(['149', '148', '147']);
    const first = edges[0].node;
    const expectedTotal = first.items.reduce(
      (sum: number, item: any) => sum + item.quantity * (Math.round(Number(item.product.price.amount) * 100) - 1),
      0,
    );
    expect(first.total).toEqual({ amount: (expectedTotal / 100).toFixed(2), currency: 'USD' });
    expect(body.data.user.orders.pageInfo.hasNextPage).toBe(true);
  });

  it('pages through all of a user orders with after, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { body } = await stack.graphql(
        'query($after: String) { user(id: "2") { orders(first: 20, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }',
        { as: '2', variables: { after } },
      );
      const connection: any = body.data.user.orders;
      seen.push(...connection.edges.map((edge: any) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => String(149 - i)));
  });

  it('gives an empty connection to a user without orders and null to an unknown user', async () => {
    const { body } = await stack.graphql(CROSS_SUBGRAPH_QUERY, { as: '3', variables: { id: '3', first: 10 } });
    expect(body.data.user.orders.edges).toEqual([]);
    const unknown = await stack.graphql(CROSS_SUBGRAPH_QUERY, { as: '3', variables: { id: '999', first: 10 } });
    expect(unknown.body).toEqual({ data: { user: null } });
  });

  it('refuses a page larger than the maximum with PAGE_SIZE_EXCEEDED instead of cutting it, before any subgraph is called', async () => {
    const before = { requests: stack.router.stats.subgraphRequests, statements: stack.statementCounts() };
    const { body } = await stack.graphql(CROSS_SUBGRAPH_QUERY, { as: '1', variables: { id: '1', first: 101 } });
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'PAGE_SIZE_EXCEEDED', measured: 101, limit: 100, path: ['user', 'orders'] });
    expect(stack.router.stats.subgraphRequests).toBe(before.requests);
    expect(stack.statementCounts()).toEqual(before.statements);
  });

  it('refuses a cursor from another list with INVALID_CURSOR', async () => {
    const products = await stack.graphql('{ products(first: 1) { pageInfo { endCursor } } }');
    const cursor = products.body.data.products.pageInfo.endCursor;
    const { body } = await stack.graphql('query($after: String) { user(id: "1") { orders(after: $after) { edges { node { id } } } } }', {
      as: '1',
      variables: { after: cursor },
    });
    expect(body.errors?.[0].extensions?.code).toBe('INVALID_CURSOR');
  });

  it('answers me from the bearer token, and null without one', async () => {
    const anonymous = await stack.graphql('{ me { id name } }');
    expect(anonymous.body).toEqual({ data: { me: null } });
    const signedIn = await stack.graphql('{ me { id name } }', { as: '2' });
    expect(signedIn.body).toEqual({ data: { me: { id: '2', name: 'Bea Fifty-Orders' } } });
  });
});
