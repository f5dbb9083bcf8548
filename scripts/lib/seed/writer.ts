/**
 * The seed's writer: fills the three subgraph databases with the generator's rows at a chosen scale. Rows go in
 * as multi-row INSERTs with explicit ids (user 1 is always the demo customer), one transaction per batch, so
 * memory stays bounded at every scale.
 */
import type { DataSource, EntityManager, EntityTarget } from 'typeorm';
import { type DatabaseConfig, inTransaction, type OpenDataSourceOptions, openDataSource } from '../../../shared';
import { accountDatabase } from '../../../subgraphs/account/database';
import { Address } from '../../../subgraphs/account/entities/Address';
import { User } from '../../../subgraphs/account/entities/User';
import { orderDatabase } from '../../../subgraphs/order/database';
import { Order } from '../../../subgraphs/order/entities/Order';
import { OrderItem } from '../../../subgraphs/order/entities/OrderItem';
import { productDatabase } from '../../../subgraphs/product/database';
import { Category } from '../../../subgraphs/product/entities/Category';
import { Product } from '../../../subgraphs/product/entities/Product';
import { StockReservation } from '../../../subgraphs/product/entities/StockReservation';
import {
  addressRows,
  categoryRow,
  orderWithItems,
  productRow,
  type Row,
  SCALES,
  type ScaleCounts,
  type SeedScale,
  userRow,
} from './generator';

/** The database of each subgraph, as `readDatabaseConfig` returns it. */
export interface SeedTargets {
  account: DatabaseConfig;
  product: DatabaseConfig;
  order: DatabaseConfig;
}

/** Reported after every batch: `phase` is `users`, `categories`, `products` or `orders`. */
export interface SeedProgress {
  phase: string;
  done: number;
  total: number;
}

export interface SeedSummary {
  scale: SeedScale;
  users: number;
  categories: number;
  products: number;
  orders: number;
  orderItems: number;
  seconds: number;
}

const ROWS_PER_BATCH = 1000;
/** Most rows in one INSERT; the variable limit below may lower it. */
const ROWS_PER_STATEMENT = 2000;
/** SQLite binds at most 32766 variables per statement (and MySQL 65535); stay well below both. */
const MAX_VARIABLES_PER_STATEMENT = 30_000;

/**
 * Fills the three databases with the data of `scale`, replacing whatever they held. Each database is
 * opened with its migrations applied (a MySQL database is created if missing) and closed at the end,
 * also on failure. Runs the phases one after the other and reports progress after every batch.
 */
export async function seed(
  targets: SeedTargets,
  options: { scale: SeedScale; onProgress?: (progress: SeedProgress) => void },
): Promise<SeedSummary> {
  const started = performance.now();
  const counts = SCALES[options.scale];
  if (!counts) throw new Error(`Unknown seed scale '${options.scale}': use ${Object.keys(SCALES).join(' or ')}`);
  const report = options.onProgress ?? (() => undefined);
  const opened: DataSource[] = [];
  const open = async (config: DatabaseConfig, database: OpenDataSourceOptions) => {
    const { dataSource } = await openDataSource(config, database);
    opened.push(dataSource);
    return dataSource;
  };
  try {
    // Open all three first, so that an unreachable database fails before anything is deleted.
    const account = await open(targets.account, accountDatabase);
    const product = await open(targets.product, productDatabase);
    const order = await open(targets.order, orderDatabase);

    // Children before parents, so that foreign keys never see an orphan.
    await clearTables(order, [OrderItem, Order]);
    await clearTables(product, [StockReservation, Product, Category]);
    await clearTables(account, [Address, User]);

    await seedRows(account, User, 'users', counts.users, report, (id) => userRow(id, counts.users));
    await seedAddresses(account, counts.users);
    await seedRows(product, Category, 'categories', counts.categories, report, categoryRow);
    await seedRows(product, Product, 'products', counts.products, report, (id) => productRow(id, counts));
    const orderItems = await seedOrders(order, counts, report);

    return {
      scale: options.scale,
      ...counts,
      orderItems,
      seconds: Math.round((performance.now() - started) / 10) / 100,
    };
  } finally {
    await Promise.allSettled(opened.map((dataSource) => dataSource.destroy()));
  }
}

/** True when the account database has no users: `npm start` seeds the embedded databases the first time. */
export async function isEmpty(target: DatabaseConfig): Promise<boolean> {
  const { dataSource } = await openDataSource(target, accountDatabase);
  try {
    return (await dataSource.getRepository(User).count()) === 0;
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Deletes every row of `entities` (children first) and resets their id counters, so that a re-seed
 * gives the same ids as the first seed and later inserts continue right above the seeded ids.
 */
async function clearTables(dataSource: DataSource, entities: EntityTarget<object>[]): Promise<void> {
  const tables = entities.map((entity) => dataSource.getMetadata(entity).tableName);
  const quoted = (table: string) => dataSource.driver.escape(table);
  if (dataSource.options.type === 'mysql') {
    // TRUNCATE is instant where DELETE of 600,000 rows takes a while, and it resets AUTO_INCREMENT;
    // MySQL refuses to truncate a table that a foreign key refers to unless the checks are off
    // for this connection, and they are back on before the connection returns to the pool.
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('SET FOREIGN_KEY_CHECKS = 0');
      try {
        for (const table of tables) await runner.query(`TRUNCATE TABLE ${quoted(table)}`);
      } finally {
        await runner.query('SET FOREIGN_KEY_CHECKS = 1');
      }
    } finally {
      await runner.release();
    }
    return;
  }
  await inTransaction(dataSource, async (manager) => {
    for (const table of tables) await manager.query(`DELETE FROM ${quoted(table)}`);
    // AUTOINCREMENT never reuses an id below its counter; forget it, and the seeded ids set it again.
    await manager.query(`DELETE FROM sqlite_sequence WHERE name IN (${tables.map(() => '?').join(', ')})`, tables);
  });
}

/** Inserts `rowOf(id)` for ids 1..total, one transaction per batch, reporting each batch. */
async function seedRows(
  dataSource: DataSource,
  entity: EntityTarget<object>,
  phase: string,
  total: number,
  report: (progress: SeedProgress) => void,
  rowOf: (id: number) => Row,
): Promise<void> {
  report({ phase, done: 0, total });
  for (let first = 1; first <= total; first += ROWS_PER_BATCH) {
    const last = Math.min(total, first + ROWS_PER_BATCH - 1);
    const rows: Row[] = [];
    for (let id = first; id <= last; id++) rows.push(rowOf(id));
    await inTransaction(dataSource, (manager) => insertRows(manager, entity, rows));
    report({ phase, done: last, total });
  }
}

/**
 * 0 to 2 addresses per user (the demo customer has two), with ids 2u-1 and 2u for user u, so that the same
 * scale always gives the same rows.
 */
async function seedAddresses(dataSource: DataSource, users: number): Promise<void> {
  for (let first = 1; first <= users; first += ROWS_PER_BATCH) {
    const rows: Row[] = [];
    for (let userId = first; userId <= Math.min(users, first + ROWS_PER_BATCH - 1); userId++) rows.push(...addressRows(userId));
    if (rows.length > 0) await inTransaction(dataSource, (manager) => insertRows(manager, Address, rows));
  }
}

/** Orders and their items, a batch of orders with all of its items in one transaction. Returns the item count. */
async function seedOrders(dataSource: DataSource, counts: ScaleCounts, report: (progress: SeedProgress) => void): Promise<number> {
  const total = counts.orders;
  report({ phase: 'orders', done: 0, total });
  let itemCount = 0;
  for (let first = 1; first <= total; first += ROWS_PER_BATCH) {
    const last = Math.min(total, first + ROWS_PER_BATCH - 1);
    const orders: Row[] = [];
    const items: Row[] = [];
    for (let id = first; id <= last; id++) {
      const order = orderWithItems(id, counts);
      for (const item of order.items) items.push({ id: ++itemCount, orderId: id, ...item });
      orders.push(order.row);
    }
    await inTransaction(dataSource, async (manager) => {
      await insertRows(manager, Order, orders);
      await insertRows(manager, OrderItem, items);
    });
    report({ phase: 'orders', done: last, total });
  }
  return itemCount;
}

/**
 * Multi-row INSERTs of `rows` (objects keyed by entity property), with table and column names from the
 * entity's metadata and values converted the way TypeORM converts them for this driver (dates, JSON).
 */
async function insertRows(manager: EntityManager, entity: EntityTarget<object>, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const properties = Object.keys(rows[0]);
  const columns = properties.map((property) => {
    const column = metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${metadata.name} has no column for property '${property}'`);
    return column;
  });
  const rowsPerStatement = Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_VARIABLES_PER_STATEMENT / columns.length));
  const head = `INSERT INTO ${driver.escape(metadata.tableName)} (${columns.map((column) => driver.escape(column.databaseName)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const chunk = rows.slice(start, start + rowsPerStatement);
    const parameters: unknown[] = [];
    for (const row of chunk) {
      for (let index = 0; index < columns.length; index++) {
        parameters.push(driver.preparePersistentValue(row[properties[index]], columns[index]));
      }
    }
    await manager.query(head + chunk.map(() => tuple).join(', '), parameters);
  }
}
