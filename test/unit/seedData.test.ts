/**
 * `seed` at the small scale, on throwaway SQLite files, and also on MySQL databases of this worker's own
 * when TEST_DATABASE_URL is set: counts, the demo customer, totals, cross-database references,
 * determinism (a digest of every table) and id counters that continue above the seeded ids.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { isEmpty, SCALES, type SeedProgress, type SeedTargets, seed } from '../../scripts/lib/seed';
import { DATABASE_NAMES, type DatabaseConfig, openDataSource, parseMysqlUrl, SUBGRAPH_NAMES, type SubgraphName } from '../../shared';
import { accountDatabase } from '../../subgraphs/account/database';
import { User } from '../../subgraphs/account/entities/User';
import { orderDatabase } from '../../subgraphs/order/database';
import { Order } from '../../subgraphs/order/entities/Order';
import { productDatabase } from '../../subgraphs/product/database';
import { Category } from '../../subgraphs/product/entities/Category';
import { Product, searchTextOf } from '../../subgraphs/product/entities/Product';

const databases = { account: accountDatabase, product: productDatabase, order: orderDatabase };

/** Every table of each subgraph, in the order a digest reads them. */
const TABLES: Record<SubgraphName, string[]> = {
  account: ['users'],
  product: ['category', 'product', 'stock_reservation'],
  order: ['orders', 'order_item'],
};

interface Backend {
  targets: () => SeedTargets;
  setUp: () => Promise<void>;
  tearDown: () => Promise<void>;
}

function sqliteBackend(): Backend {
  let dir = '';
  return {
    targets: () =>
      Object.fromEntries(
        SUBGRAPH_NAMES.map((name) => [name, { kind: 'sqlite', file: path.join(dir, `${DATABASE_NAMES[name]}.sqlite`) }]),
      ) as unknown as SeedTargets,
    async setUp() {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-test-'));
    },
    async tearDown() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mysqlBackend(url: string): Backend {
  const prefix = `test_seed_${process.env.JEST_WORKER_ID ?? '0'}_`;
  const targets = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, parseMysqlUrl(url, 'TEST_DATABASE_URL', `${prefix}${DATABASE_NAMES[name]}`, 5)]),
  ) as unknown as SeedTargets;
  const dropAll = async () => {
    const { host, port, user, password } = targets.account as Extract<DatabaseConfig, { kind: 'mysql' }>;
    const connection = await mysql.createConnection({ host, port, user, password });
    try {
      for (const name of SUBGRAPH_NAMES) {
        const { database } = targets[name] as Extract<DatabaseConfig, { kind: 'mysql' }>;
        await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
      }
    } finally {
      await connection.end();
    }
  };
  return { targets: () => targets, setUp: dropAll, tearDown: dropAll };
}

const backends: [string, Backend][] = [['sqlite', sqliteBackend()]];
if (process.env.TEST_DATABASE_URL) backends.push(['mysql', mysqlBackend(process.env.TEST_DATABASE_URL)]);

/** Runs `work` with all three databases open, and closes them. */
async function withDatabases<T>(targets: SeedTargets, work: (sources: Record<SubgraphName, DataSource>) => Promise<T>): Promise<T> {
  const opened: Partial<Record<SubgraphName, DataSource>> = {};
  try {
    for (const name of SUBGRAPH_NAMES) opened[name] = (await openDataSource(targets[name], databases[name])).dataSource;
    return await work(opened as Record<SubgraphName, DataSource>);
  } finally {
    await Promise.all(Object.values(opened).map((dataSource) => dataSource.destroy()));
  }
}

async function rowsOf(dataSource: DataSource, table: string): Promise<Record<string, unknown>[]> {
  return dataSource.query(`SELECT * FROM ${dataSource.driver.escape(table)} ORDER BY id`);
}

/** SHA-256 of every row of every table, read in id order. */
async function digestOf(targets: SeedTargets): Promise<string> {
  return withDatabases(targets, async (sources) => {
    const hash = createHash('sha256');
    for (const name of SUBGRAPH_NAMES) {
      for (const table of TABLES[name]) hash.update(`${table}\n${JSON.stringify(await rowsOf(sources[name], table))}\n`);
    }
    return hash.digest('hex');
  });
}

describe.each(backends)('seed, small scale, on %s', (_kind, backend) => {
  const small = SCALES.small;
  let progress: SeedProgress[];
  let firstDigest: string;

  beforeAll(async () => {
    await backend.setUp();
  });
  afterAll(() => backend.tearDown());

  it('finds a fresh account database empty, and a seeded one not', async () => {
    expect(await isEmpty(backend.targets().account)).toBe(true);
    progress = [];
    const summary = await seed(backend.targets(), { scale: 'small', onProgress: (p) => progress.push(p) });
    expect(summary).toEqual({ scale: 'small', ...small, orderItems: expect.any(Number), seconds: expect.any(Number) });
    expect(summary.orderItems).toBeGreaterThanOrEqual(small.orders);
    expect(summary.orderItems).toBeLessThanOrEqual(small.orders * 5);
    expect(await isEmpty(backend.targets().account)).toBe(false);
    firstDigest = await digestOf(backend.targets());
  });

  it('reports each phase from 0 to its total, never going backwards', () => {
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['users', 'categories', 'products', 'orders']);
    for (const phase of phases) {
      const steps = progress.filter((p) => p.phase === phase);
      expect(steps[0].done).toBe(0);
      expect(steps[steps.length - 1].done).toBe(steps[0].total);
      for (let i = 1; i < steps.length; i++) expect(steps[i].done).toBeGreaterThan(steps[i - 1].done);
    }
  });

  it('writes the counts of the scale, with a demo customer who has at least 25 orders', async () => {
    await withDatabases(backend.targets(), async ({ account, product, order }) => {
      expect(await account.getRepository(User).count()).toBe(small.users);
      expect(await product.getRepository(Category).count()).toBe(small.categories);
      expect(await product.getRepository(Product).count()).toBe(small.products);
      expect(await order.getRepository(Order).count()).toBe(small.orders);
      const demo = await account.getRepository(User).findOneByOrFail({ id: 1 });
      expect(demo.email).toBe('demo@example.com');
      expect(await order.getRepository(Order).countBy({ userId: 1 })).toBeGreaterThanOrEqual(25);
    });
  });

  it('keeps orders consistent: totals, item prices, products and users that exist, dates that increase', async () => {
    await withDatabases(backend.targets(), async ({ account, product, order }) => {
      const products = new Map((await product.getRepository(Product).find()).map((p) => [p.id, p]));
      const users = new Set((await account.getRepository(User).find()).map((u) => u.id));
      const orders = await order.getRepository(Order).find({ relations: { items: true }, order: { id: 'ASC' } });
      const usersWithOrders = new Set(orders.map((o) => o.userId));
      let previous = 0;
      for (const o of orders) {
        expect(users.has(o.userId)).toBe(true);
        expect(o.status).toBe('PLACED');
        expect(o.currency).toBe('USD');
        expect(o.reservationKey).toBe(`seed-${o.id}`);
        expect(o.items.length).toBeGreaterThanOrEqual(1);
        expect(o.items.length).toBeLessThanOrEqual(5);
        expect(o.totalCents).toBe(o.items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0));
        for (const item of o.items) {
          const bought = products.get(item.productId);
          expect(bought).toBeDefined();
          expect(item.unitPriceCents).toBe(bought?.priceCents);
          expect(item.currency).toBe('USD');
        }
        expect(o.createdAt).toBeInstanceOf(Date);
        expect(o.createdAt.getTime()).toBeGreaterThan(previous);
        previous = o.createdAt.getTime();
      }
      expect(usersWithOrders.size).toBeLessThan(small.users);
      for (const p of products.values()) {
        expect(p.searchText).toBe(searchTextOf(p));
        expect(p.priceCents).toBeGreaterThanOrEqual(199);
        expect(p.priceCents).toBeLessThanOrEqual(99_999);
        expect(p.stock).toBeGreaterThanOrEqual(0);
        expect(p.stock).toBeLessThanOrEqual(500);
      }
      expect([...products.values()].some((p) => p.stock === 0)).toBe(true);
    });
  });

  it('continues ids above the seeded ones, and a second seed replaces everything with the same rows', async () => {
    const insertUser = () =>
      withDatabases(backend.targets(), async ({ account }) => {
        const repository = account.getRepository(User);
        return (await repository.save(repository.create({ email: 'late@example.com', name: 'Late Comer', createdAt: new Date() }))).id;
      });
    expect(await insertUser()).toBe(small.users + 1);
    await seed(backend.targets(), { scale: 'small' });
    expect(await digestOf(backend.targets())).toBe(firstDigest);
    // The counter was reset with the rows, so the next id is the same as after the first seed.
    expect(await insertUser()).toBe(small.users + 1);
  });
});
