import type { SubgraphServer } from '../../shared';
import { Product } from '../../subgraphs/product/entities/Product';
import { StockReservation } from '../../subgraphs/product/entities/StockReservation';
import { createProductSubgraph, type ProductContext } from '../../subgraphs/product/server';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { readJson } from '../helpers/http';
import { silentLogger, testSubgraphConfig } from '../helpers/subgraphHarness';
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../helpers/testDatabase';

const TOKEN = 'internal-test-token-0123456789abcdef';

describe(`the product subgraph internal stock API on ${testDatabaseKind}`, () => {
  let database: TestDatabase;
  let subgraph: SubgraphServer<ProductContext>;
  let baseUrl: string;

  const call = async (path: string, body: unknown, token: string | null = TOKEN) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await readJson(response) };
  };
  const stockOf = async (id: number) => (await database.dataSource.getRepository(Product).findOneByOrFail({ id })).stock;

  beforeAll(async () => {
    database = await openTestDatabase('product', 'internal');
    subgraph = await createProductSubgraph({
      dataSource: database.dataSource,
      logger: silentLogger,
      config: { ...testSubgraphConfig('product', database), internalApiToken: TOKEN },
    });
    baseUrl = `http://127.0.0.1:${await subgraph.listen(0)}`;
  });
  beforeEach(async () => {
    await database.reset();
    await insertCategory(database.dataSource, 1, 'Tools');
    await insertProducts(database.dataSource, [
      { id: 1, name: 'Saw', priceCents: 2500, stock: 10, categoryId: 1 },
      { id: 2, name: 'Drill', priceCents: 8999, stock: 2, categoryId: 1 },
    ]);
  });
  afterAll(async () => {
    await subgraph.stop();
    await database.drop();
  });

  it.each([
    ['no credential', null],
    ['a wrong credential', 'not-the-token'],
    ['the credential with a character more', `${TOKEN}x`],
  ])('refuses a call with %s: 401 and nothing reserved', async (_label, token) => {
    const { status, body } = await call(
      '/internal/reservations',
      { reservationKey: 'key-00000001', lines: [{ productId: '1', quantity: 1 }] },
      token,
    );
    expect(status).toBe(401);
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(await stockOf(1)).toBe(10);
  });

  it('reserves stock and returns the current prices', async () => {
    const { status, body } = await call('/internal/reservations', {
      reservationKey: 'key-00000002',
      lines: [
        { productId: '1', quantity: 3 },
        { productId: '2', quantity: 1 },
      ],
    });
    expect(status).toBe(200);
    expect(body.lines).toEqual([
      { productId: 1, quantity: 3, unitPriceCents: 2500, currency: 'USD' },
      { productId: 2, quantity: 1, unitPriceCents: 8999, currency: 'USD' },
    ]);
    expect([await stockOf(1), await stockOf(2)]).toEqual([7, 1]);
  });

  it('is idempotent per key: a retry gets the same answer and takes no more stock', async () => {
    const request = { reservationKey: 'key-00000003', lines: [{ productId: '1', quantity: 4 }] };
    const first = await call('/internal/reservations', request);
    // The price changes between the calls: the retry still answers with the first reservation's prices.
    await database.dataSource.getRepository(Product).update({ id: 1 }, { priceCents: 1 });
    const retries = await Promise.all([call('/internal/reservations', request), call('/internal/reservations', request)]);
    for (const retry of retries) expect(retry).toEqual(first);
    expect(await stockOf(1)).toBe(6);
    expect(await database.dataSource.getRepository(StockReservation).count()).toBe(1);
  });

  it('refuses the same key for other lines with 409 IDEMPOTENCY_CONFLICT', async () => {
    await call('/internal/reservations', { reservationKey: 'key-00000004', lines: [{ productId: '1', quantity: 1 }] });
    const { status, body } = await call('/internal/reservations', {
      reservationKey: 'key-00000004',
      lines: [{ productId: '1', quantity: 2 }],
    });
    expect(status).toBe(409);
    expect(body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await stockOf(1)).toBe(9);
  });

  it('gives stock back on release, once, however often release is called', async () => {
    await call('/internal/reservations', { reservationKey: 'key-00000005', lines: [{ productId: '2', quantity: 2 }] });
    expect(await stockOf(2)).toBe(0);
    for (let i = 0; i < 2; i++) {
      const { status, body } = await call('/internal/reservations/release', { reservationKey: 'key-00000005' });
      expect([status, body.status]).toEqual([200, 'released']);
    }
    expect(await stockOf(2)).toBe(2);
  });

  it('leaves a tombstone when releasing an unknown key, so a late reservation under it takes nothing', async () => {
    await call('/internal/reservations/release', { reservationKey: 'key-00000006' });
    const late = await call('/internal/reservations', { reservationKey: 'key-00000006', lines: [{ productId: '1', quantity: 1 }] });
    expect(late.status).toBe(409);
    expect(await stockOf(1)).toBe(10);
  });

  it('will not release a confirmed reservation', async () => {
    await call('/internal/reservations', { reservationKey: 'key-00000007', lines: [{ productId: '1', quantity: 1 }] });
    expect((await call('/internal/reservations/confirm', { reservationKey: 'key-00000007' })).body.status).toBe('confirmed');
    expect((await call('/internal/reservations/release', { reservationKey: 'key-00000007' })).status).toBe(409);
    expect(await stockOf(1)).toBe(9);
  });

  it.each([
    ['malformed JSON', '{"reservationKey":', 400, 'BAD_REQUEST'],
    ['a short key', { reservationKey: 'k', lines: [{ productId: '1', quantity: 1 }] }, 400, 'BAD_REQUEST'],
    ['lines that are not a list', { reservationKey: 'key-00000008', lines: 'many' }, 400, 'BAD_REQUEST'],
  ])('answers %s with a 400 and changes nothing', async (_label, body, status, code) => {
    const response = await call('/internal/reservations', body);
    expect(response.status).toBe(status);
    expect(response.body.errors[0].extensions.code).toBe(code);
    expect(await database.dataSource.getRepository(StockReservation).count()).toBe(0);
  });
});
