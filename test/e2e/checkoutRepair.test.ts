import { CheckoutIntent } from '../../subgraphs/order/entities/CheckoutIntent';
import { Order } from '../../subgraphs/order/entities/Order';
import { OrderItem } from '../../subgraphs/order/entities/OrderItem';
import { hashItems, releaseAndAbandon, reservationKeyOf } from '../../subgraphs/order/placeOrder';
import { createProductApi, type ProductApi } from '../../subgraphs/order/productApi';
import { Product } from '../../subgraphs/product/entities/Product';
import { StockReservation } from '../../subgraphs/product/entities/StockReservation';
import { insertCategory, insertProducts, insertUsers } from '../helpers/fixtures';
import { INTERNAL_TOKEN, type Stack, startStack } from '../helpers/stack';
import { silentLogger } from '../helpers/subgraphHarness';

const PLACE_ORDER = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
const ITEMS = [{ productId: '1', quantity: 3 }];
const TWO_MINUTES_AGO = () => new Date(Date.now() - 120_000);

/**
 * A crash between checkout's steps leaves a checkout intent behind; these tests write exactly what each crash
 * leaves (through the real product API and databases) and check that the sweeper repairs it.
 */
describe('checkout crash repair', () => {
  let stack: Stack;
  let productApi: ProductApi;

  const stock = async () => (await stack.databases.product.dataSource.getRepository(Product).findOneByOrFail({ id: 1 })).stock;
  const reservation = (key: string) =>
    stack.databases.product.dataSource.getRepository(StockReservation).findOneBy({ reservationKey: key });
  const intent = (key: string) => stack.databases.order.dataSource.getRepository(CheckoutIntent).findOneByOrFail({ reservationKey: key });
  const writeIntent = (key: string, status: CheckoutIntent['status'], at = TWO_MINUTES_AGO()) =>
    stack.databases.order.dataSource
      .getRepository(CheckoutIntent)
      .insert({ reservationKey: key, userId: 7, requestHash: hashItems(ITEMS), status, createdAt: at, updatedAt: at });

  beforeAll(async () => {
    stack = await startStack('repair');
    productApi = createProductApi({
      baseUrl: new URL(stack.subgraphUrls.product).origin,
      token: INTERNAL_TOKEN,
      logger: silentLogger,
    });
  });
  afterAll(() => stack.stop());
  beforeEach(async () => {
    await Promise.all([stack.databases.account.reset(), stack.databases.order.reset(), stack.databases.product.reset()]);
    await insertUsers(stack.databases.account.dataSource, [{ id: 7, name: 'Grace Buyer' }]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Hammer', priceCents: 1999, stock: 10, categoryId: 1 }]);
  });

  it('leaves a finished checkout confirmed on both sides', async () => {
    const { body } = await stack.graphql(PLACE_ORDER, { as: '7', variables: { input: { items: ITEMS, idempotencyKey: 'finished-1' } } });
    expect(body.errors).toBeUndefined();
    const key = reservationKeyOf(7, 'finished-1');
    expect((await intent(key)).status).toBe('confirmed');
    expect((await reservation(key))?.status).toBe('confirmed');
    expect(await stack.subgraphs.order.sweeper.sweepOnce()).toEqual({ abandoned: 0, confirmed: 0, failed: 0 });
  });

  it('gives the stock back for a checkout that crashed after reserving and before storing the order', async () => {
    const key = reservationKeyOf(7, 'crashed-1');
    await writeIntent(key, 'pending');
    await productApi.reserve(key, ITEMS);
    expect(await stock()).toBe(7);
    expect(await stack.subgraphs.order.sweeper.sweepOnce()).toEqual({ abandoned: 1, confirmed: 0, failed: 0 });
    expect(await stock()).toBe(10);
    expect((await reservation(key))?.status).toBe('released');
    expect((await intent(key)).status).toBe('abandoned');
    expect(await stack.databases.order.dataSource.getRepository(Order).count()).toBe(0);
    // The client's retry with the same key is told so, and takes nothing.
    const retry = await stack.graphql(PLACE_ORDER, { as: '7', variables: { input: { items: ITEMS, idempotencyKey: 'crashed-1' } } });
    expect(retry.body.errors?.[0].extensions?.code).toBe('CHECKOUT_EXPIRED');
    expect(await stock()).toBe(10);
  });

  it('stops a reservation still in flight after the sweeper gave up on its checkout', async () => {
    const key = reservationKeyOf(7, 'late-1');
    await writeIntent(key, 'pending');
    expect(await stack.subgraphs.order.sweeper.sweepOnce()).toEqual({ abandoned: 1, confirmed: 0, failed: 0 });
    await expect(productApi.reserve(key, ITEMS)).rejects.toMatchObject({ extensions: { code: 'IDEMPOTENCY_CONFLICT' } });
    expect(await stock()).toBe(10);
  });

  it('confirms the reservation of an order stored just before a crash, and keeps its stock taken', async () => {
    const key = reservationKeyOf(7, 'stored-1');
    await writeIntent(key, 'stored');
    await productApi.reserve(key, ITEMS);
    const orders = stack.databases.order.dataSource;
    const order = await orders
      .getRepository(Order)
      .save({ userId: 7, status: 'PLACED', totalCents: 5997, currency: 'EUR', reservationKey: key, createdAt: new Date() });
    await orders.getRepository(OrderItem).insert({ orderId: order.id, productId: 1, quantity: 3, unitPriceCents: 1999, currency: 'EUR' });
    expect(await stack.subgraphs.order.sweeper.sweepOnce()).toEqual({ abandoned: 0, confirmed: 1, failed: 0 });
    expect((await reservation(key))?.status).toBe('confirmed');
    expect((await intent(key)).status).toBe('confirmed');
    expect(await stock()).toBe(7);
    // The client's retry gets that order.
    const retry = await stack.graphql(PLACE_ORDER, { as: '7', variables: { input: { items: ITEMS, idempotencyKey: 'stored-1' } } });
    expect(retry.body.data.placeOrder.id).toBe(String(order.id));
  });

  it('never gives back the stock of an order that a racing retry under the same key stored', async () => {
    const key = reservationKeyOf(7, 'raced-1');
    await writeIntent(key, 'stored', new Date());
    await productApi.reserve(key, ITEMS);
    // The losing attempt's store failed (its deadline passed): its clean-up must see the checkout is not its own.
    await releaseAndAbandon({ dataSource: stack.databases.order.dataSource, productApi, logger: silentLogger }, key);
    expect((await intent(key)).status).toBe('stored');
    expect((await reservation(key))?.status).toBe('reserved');
    expect(await stock()).toBe(7);
  });

  it('keeps a refused checkout under an idempotency key pending (a racing retry may still reserve), and the sweeper closes it', async () => {
    const refused = await stack.graphql(PLACE_ORDER, {
      as: '7',
      variables: { input: { items: [{ productId: '1', quantity: 11 }], idempotencyKey: 'short-key-1' } },
    });
    expect(refused.body.errors?.[0].extensions?.code).toBe('INSUFFICIENT_STOCK');
    const key = reservationKeyOf(7, 'short-key-1');
    expect((await intent(key)).status).toBe('pending');
    expect(await stack.subgraphs.order.sweeper.sweepOnce(new Date(Date.now() + 120_000))).toEqual({
      abandoned: 1,
      confirmed: 0,
      failed: 0,
    });
    expect(await stock()).toBe(10);
    // Without an idempotency key nobody else can use the key: nothing is left behind.
    const before = await stack.databases.order.dataSource.getRepository(CheckoutIntent).count();
    await stack.graphql(PLACE_ORDER, { as: '7', variables: { input: { items: [{ productId: '1', quantity: 11 }] } } });
    expect(await stack.databases.order.dataSource.getRepository(CheckoutIntent).count()).toBe(before);
  });

  it('leaves young checkouts alone: they may still be running', async () => {
    const key = reservationKeyOf(7, 'young-1');
    await writeIntent(key, 'pending', new Date());
    await productApi.reserve(key, ITEMS);
    expect(await stack.subgraphs.order.sweeper.sweepOnce()).toEqual({ abandoned: 0, confirmed: 0, failed: 0 });
    expect((await intent(key)).status).toBe('pending');
    expect(await stock()).toBe(7);
  });

  it('keeps a stale checkout for the next sweep while the product subgraph is down', async () => {
    const key = reservationKeyOf(7, 'down-1');
    await writeIntent(key, 'pending');
    await productApi.reserve(key, ITEMS);
    const sweeperDown = new (
      stack.subgraphs.order.sweeper.constructor as typeof import('../../subgraphs/order/CheckoutSweeper').CheckoutSweeper
    )(
      {
        dataSource: stack.databases.order.dataSource,
        productApi: createProductApi({ baseUrl: 'http://127.0.0.1:9', token: INTERNAL_TOKEN, logger: silentLogger, timeoutMs: 500 }),
        logger: silentLogger,
      },
      { abandonAfterMs: 60_000, confirmAfterMs: 10_000, intervalMs: 60_000, batchSize: 10 },
    );
    expect(await sweeperDown.sweepOnce()).toEqual({ abandoned: 0, confirmed: 0, failed: 1 });
    expect((await intent(key)).status).toBe('abandoning');
    expect(await stock()).toBe(7);
    // Back up: the next sweep finishes the job.
    expect(await stack.subgraphs.order.sweeper.sweepOnce()).toEqual({ abandoned: 1, confirmed: 0, failed: 0 });
    expect(await stock()).toBe(10);
  });
});
