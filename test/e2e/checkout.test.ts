import { Order } from '../../subgraphs/order/entities/Order';
import { OrderItem } from '../../subgraphs/order/entities/OrderItem';
import { Product } from '../../subgraphs/product/entities/Product';
import { StockReservation } from '../../subgraphs/product/entities/StockReservation';
import { insertCategory, insertProducts, insertUsers } from '../helpers/fixtures';
import { type Stack, startStack } from '../helpers/stack';

const PLACE_ORDER = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      customer { id name }
      total { amount currency }
      items { quantity unitPrice { amount currency } lineTotal { amount } product { id name stock } }
    }
  }
`;

describe('placeOrder through the router', () => {
  let stack: Stack;

  /** Everything checkout could write, to prove that a refused order wrote nothing anywhere. */
  async function snapshot() {
    const products = await stack.databases.product.dataSource.getRepository(Product).find({ order: { id: 'ASC' } });
    return {
      stock: products.map((product) => [product.id, product.stock]),
      reservations: await stack.databases.product.dataSource.getRepository(StockReservation).count(),
      orders: await stack.databases.order.dataSource.getRepository(Order).count(),
      items: await stack.databases.order.dataSource.getRepository(OrderItem).count(),
    };
  }

  beforeAll(async () => {
    stack = await startStack('checkout');
  });
  afterAll(() => stack.stop());

  beforeEach(async () => {
    await Promise.all([stack.databases.account.reset(), stack.databases.order.reset(), stack.databases.product.reset()]);
    await insertUsers(stack.databases.account.dataSource, [{ id: 7, name: 'Grace Buyer' }]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [
      { id: 1, name: 'Hammer', priceCents: 1999, stock: 10, categoryId: 1 },
      { id: 2, name: 'Chisel', priceCents: 550, stock: 3, categoryId: 1 },
    ]);
  });

  it('stores the order with price snapshots, takes the stock, and answers across subgraphs', async () => {
    const { status, body } = await stack.graphql(PLACE_ORDER, {
      as: '7',
      variables: {
        input: {
          items: [
            { productId: '1', quantity: 2 },
            { productId: '2', quantity: 3 },
          ],
        },
      },
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const order = body.data.placeOrder;
    expect(order.status).toBe('PLACED');
    expect(order.customer).toEqual({ id: '7', name: 'Grace Buyer' });
    expect(order.total).toEqual({ amount: '56.48', currency: 'USD' }); // 2 × 19.99 + 3 × 5.50
    expect(order.items).toEqual([
      {
        quantity: 2,
        unitPrice: { amount: '19.99', currency: 'USD' },
        lineTotal: { amount: '39.98' },
        product: { id: '1', name: 'Hammer', stock: 8 },
      },
      {
        quantity: 3,
        unitPrice: { amount: '5.50', currency: 'USD' },
        lineTotal: { amount: '16.50' },
        product: { id: '2', name: 'Chisel', stock: 0 },
      },
    ]);
    const reservations = await stack.databases.product.dataSource.getRepository(StockReservation).find();
    expect(reservations.map((reservation) => reservation.status)).toEqual(['confirmed']);

    // A later price change does not touch the stored order.
    await stack.databases.product.dataSource.getRepository(Product).update({ id: 1 }, { priceCents: 2999 });
    const again = await stack.graphql('query($id: ID!) { order(id: $id) { total { amount } items { unitPrice { amount } } } }', {
      as: '7',
      variables: { id: order.id },
    });
    expect(again.body.data.order).toEqual({
      total: { amount: '56.48' },
      items: [{ unitPrice: { amount: '19.99' } }, { unitPrice: { amount: '5.50' } }],
    });
  });

  it.each([
    ['an unknown product', [{ productId: '999', quantity: 1 }], 'PRODUCT_NOT_FOUND'],
    ['a product id that is not a number', [{ productId: 'abc', quantity: 1 }], 'PRODUCT_NOT_FOUND'],
    ['a zero quantity', [{ productId: '1', quantity: 0 }], 'INVALID_QUANTITY'],
    ['a negative quantity', [{ productId: '1', quantity: -2 }], 'INVALID_QUANTITY'],
    [
      'too little stock on one line',
      [
        { productId: '1', quantity: 1 },
        { productId: '2', quantity: 4 },
      ],
      'INSUFFICIENT_STOCK',
    ],
    [
      'the same product twice, together above the stock',
      [
        { productId: '2', quantity: 2 },
        { productId: '2', quantity: 2 },
      ],
      'INSUFFICIENT_STOCK',
    ],
    ['no items', [], 'INVALID_ORDER'],
  ])('refuses %s with a stable code and writes nothing anywhere', async (_label, items, code) => {
    const before = await snapshot();
    const { status, body } = await stack.graphql(PLACE_ORDER, { as: '7', variables: { input: { items } } });
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors?.[0].extensions?.code).toBe(code);
    expect(body.errors?.[0].path).toEqual(['placeOrder']);
    expect(await snapshot()).toEqual(before);
  });

  it('tells how many are available when stock is short', async () => {
    const { body } = await stack.graphql(PLACE_ORDER, {
      as: '7',
      variables: { input: { items: [{ productId: '2', quantity: 5 }] } },
    });
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'INSUFFICIENT_STOCK', productId: '2', requested: 5, available: 3 });
  });

  it('needs a signed-in user', async () => {
    const before = await snapshot();
    const { body } = await stack.graphql(PLACE_ORDER, { variables: { input: { items: [{ productId: '1', quantity: 1 }] } } });
    expect(body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await snapshot()).toEqual(before);
  });

  it('places one order for 20 concurrent identical checkouts with one idempotency key, taking the stock once', async () => {
    const input = { idempotencyKey: 'checkout-7f3c9a', items: [{ productId: '1', quantity: 2 }] };
    const before = await snapshot();
    const attempts = await Promise.all(Array.from({ length: 20 }, () => stack.graphql(PLACE_ORDER, { as: '7', variables: { input } })));
    const ids = new Set(attempts.map((attempt) => attempt.body.data?.placeOrder?.id));
    expect(attempts.map((attempt) => attempt.body.errors)).toEqual(Array(20).fill(undefined));
    expect(ids.size).toBe(1);
    const after = await snapshot();
    expect(after.orders).toBe(before.orders + 1);
    expect(after.stock).toEqual([
      [1, 8],
      [2, 3],
    ]);
    // A retry later: the same order again, nothing written.
    const retry = await stack.graphql(PLACE_ORDER, { as: '7', variables: { input } });
    expect(retry.body.data.placeOrder.id).toBe([...ids][0]);
    expect(await snapshot()).toEqual(after);
  });

  it('refuses the same idempotency key with other items, changing nothing', async () => {
    await stack.graphql(PLACE_ORDER, {
      as: '7',
      variables: { input: { idempotencyKey: 'checkout-1b2c3d', items: [{ productId: '1', quantity: 1 }] } },
    });
    const before = await snapshot();
    const other = await stack.graphql(PLACE_ORDER, {
      as: '7',
      variables: { input: { idempotencyKey: 'checkout-1b2c3d', items: [{ productId: '1', quantity: 3 }] } },
    });
    expect(other.body.errors?.[0].extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await snapshot()).toEqual(before);
    // Another user's identical key is another checkout.
    await insertUsers(stack.databases.account.dataSource, [{ id: 8, name: 'Heidi' }]);
    const heidi = await stack.graphql(PLACE_ORDER, {
      as: '8',
      variables: { input: { idempotencyKey: 'checkout-1b2c3d', items: [{ productId: '1', quantity: 3 }] } },
    });
    expect(heidi.body.data.placeOrder.customer.id).toBe('8');
  });

  it('never sells more than the stock when orders race', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 6 }, () =>
        stack.graphql(PLACE_ORDER, { as: '7', variables: { input: { items: [{ productId: '2', quantity: 1 }] } } }),
      ),
    );
    const placed = attempts.filter((attempt) => attempt.body.data?.placeOrder);
    const refused = attempts.filter((attempt) => attempt.body.errors?.[0].extensions?.code === 'INSUFFICIENT_STOCK');
    expect(placed).toHaveLength(3);
    expect(refused).toHaveLength(3);
    const chisel = await stack.databases.product.dataSource.getRepository(Product).findOneByOrFail({ id: 2 });
    expect(chisel.stock).toBe(0);
    expect(await stack.databases.order.dataSource.getRepository(Order).count()).toBe(3);
  });
});
