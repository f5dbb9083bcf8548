import type { ReservedLine, SubgraphServer } from '../../shared';
import { Order } from '../../subgraphs/order/entities/Order';
import { DEFAULT_SWEEPER_OPTIONS } from '../../subgraphs/order/OrderConfig';
import type { ProductApi } from '../../subgraphs/order/productApi';
import { createOrderSubgraph, type OrderContext } from '../../subgraphs/order/server';
import { insertOrders } from '../helpers/fixtures';
import { execute, silentLogger, testSubgraphConfig } from '../helpers/subgraphHarness';
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../helpers/testDatabase';

/** Stands in for the product subgraph (its real API has tests of its own) and records what checkout asks. */
class RecordingProductApi implements ProductApi {
  calls: string[] = [];
  constructor(private readonly unitPriceCents: number) {}
  async reserve(key: string, lines: { productId: string; quantity: number }[]): Promise<ReservedLine[]> {
    this.calls.push(`reserve ${key}`);
    return lines.map((line) => ({
      productId: Number(line.productId),
      quantity: line.quantity,
      unitPriceCents: this.unitPriceCents,
      currency: 'USD',
    }));
  }
  async release(key: string): Promise<void> {
    this.calls.push(`release ${key}`);
  }
  async confirm(key: string): Promise<void> {
    this.calls.push(`confirm ${key}`);
  }
}

describe(`order subgraph on ${testDatabaseKind}`, () => {
  let database: TestDatabase;

  async function subgraphWith(productApi: ProductApi): Promise<SubgraphServer<OrderContext>> {
    return createOrderSubgraph({
      dataSource: database.dataSource,
      logger: silentLogger,
      productApi,
      config: {
        ...testSubgraphConfig('order', database),
        internalApiToken: 'x',
        productInternalUrl: 'http://127.0.0.1:1',
        sweeper: DEFAULT_SWEEPER_OPTIONS,
      },
      sweep: false,
    });
  }

  beforeAll(async () => {
    database = await openTestDatabase('order', 'order');
    for (const [userId, firstOrderId] of [
      [1, 1],
      [2, 10],
      [3, 20],
    ]) {
      await insertOrders(database.dataSource, {
        firstOrderId,
        userId,
        count: 3,
        itemsPerOrder: 2,
        productIds: [5, 6, 7],
        unitPriceCents: () => 100,
      });
    }
  });
  afterAll(() => database.drop());

  it('pages the orders of many users with one statement, and their items with one more', async () => {
    const subgraph = await subgraphWith(new RecordingProductApi(100));
    const before = database.statements.count;
    const result = await execute(
      subgraph,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders(first: 2) { edges { node { id items { product { id } quantity } } } pageInfo { hasNextPage } } } } }',
      { r: [1, 2, 3, 4].map((id) => ({ __typename: 'User', id: String(id) })) },
      { 'x-user-id': '99', 'x-user-scopes': 'orders:read' }, // support staff: may read anyone's orders
    );
    expect(result.errors).toBeUndefined();
    const ids = result.data._entities.map((user: any) => user.orders.edges.map((edge: any) => edge.node.id));
    expect(ids).toEqual([['3', '2'], ['12', '11'], ['22', '21'], []]);
    expect(result.data._entities[0].orders.pageInfo.hasNextPage).toBe(true);
    expect(result.data._entities[0].orders.edges[0].node.items).toEqual([
      { product: { id: '6' }, quantity: 1 }, // the third order's lines continue the fixture's product rotation
      { product: { id: '7' }, quantity: 2 },
    ]);
    expect(database.statements.count - before).toBe(2);
    await subgraph.stop();
  });

  it('releases the reservation when the order cannot be stored, and stores nothing', async () => {
    // A unit price so large that the total does not fit an order: refused after the stock was reserved.
    const productApi = new RecordingProductApi(2_000_000_000);
    const subgraph = await subgraphWith(productApi);
    const ordersBefore = await database.dataSource.getRepository(Order).count();
    const result = await execute(
      subgraph,
      'mutation { placeOrder(input: { items: [{ productId: "5", quantity: 2 }] }) { id } }',
      {},
      { 'x-user-id': '1' },
    );
    expect(result.errors?.[0].extensions?.code).toBe('INVALID_ORDER');
    expect(productApi.calls).toHaveLength(2);
    expect(productApi.calls[0]).toMatch(/^reserve /);
    expect(productApi.calls[1]).toBe(productApi.calls[0].replace('reserve', 'release'));
    expect(await database.dataSource.getRepository(Order).count()).toBe(ordersBefore);
    await subgraph.stop();
  });

  it('confirms the reservation once the order is stored', async () => {
    const productApi = new RecordingProductApi(250);
    const subgraph = await subgraphWith(productApi);
    const result = await execute(
      subgraph,
      'mutation { placeOrder(input: { items: [{ productId: "7", quantity: 4 }] }) { total { amount } } }',
      {},
      { 'x-user-id': '3' },
    );
    expect(result.data.placeOrder.total).toEqual({ amount: '10.00' });
    expect(productApi.calls.map((call) => call.split(' ')[0])).toEqual(['reserve', 'confirm']);
    await subgraph.stop();
  });

  it('refuses invalid input before asking the product subgraph for anything', async () => {
    const productApi = new RecordingProductApi(100);
    const subgraph = await subgraphWith(productApi);
    const tooMany = Array.from({ length: 101 }, () => '{ productId: "5", quantity: 1 }').join(', ');
    for (const [items, code] of [
      ['{ productId: "5", quantity: 0 }', 'INVALID_QUANTITY'],
      ['{ productId: "5", quantity: 1001 }', 'INVALID_QUANTITY'],
      ['{ productId: "-5", quantity: 1 }', 'PRODUCT_NOT_FOUND'],
      [tooMany, 'INVALID_ORDER'],
    ]) {
      const result = await execute(subgraph, `mutation { placeOrder(input: { items: [${items}] }) { id } }`, {}, { 'x-user-id': '1' });
      expect(result.errors?.[0].extensions?.code).toBe(code);
    }
    expect(productApi.calls).toEqual([]);
    await subgraph.stop();
  });
});
