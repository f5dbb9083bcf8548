import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import {
  createLogger,
  DATABASE_NAMES,
  type DatabaseConfig,
  type OpenedDataSource,
  openDataSource,
  parseMysqlUrl,
  type SubgraphName,
} from '../../shared';
import { accountDatabase } from '../../subgraphs/account/database';
import { orderDatabase } from '../../subgraphs/order/database';
import { productDatabase } from '../../subgraphs/product/database';

export const subgraphDatabases = { account: accountDatabase, product: productDatabase, order: orderDatabase };

/** Which database the suite runs on: MySQL when TEST_DATABASE_URL is set, else embedded SQLite. */
export const testDatabaseKind: 'mysql' | 'sqlite' = process.env.TEST_DATABASE_URL ? 'mysql' : 'sqlite';

let sqliteDir: string | undefined;

/** Replica health changes and the like: silent unless TEST_LOG_LEVEL says otherwise. */
const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/**
 * A database of this jest worker's own: `t<worker>_<label>_<name>` on the MySQL server, or a file in a
 * temporary folder. `label` keeps test files apart when one worker runs several.
 */
export function testDatabaseConfig(subgraph: SubgraphName, label: string): DatabaseConfig {
  // Checked on SQLite too, so that a label MySQL would refuse fails in the default run, not only in CI's MySQL pass.
  if (!/^[A-Za-z0-9_]+$/.test(label))
    throw new Error(`test database label '${label}': letters, digits and '_' only (a MySQL database name)`);
  const name = `t${process.env.JEST_WORKER_ID ?? '0'}_${label}_${DATABASE_NAMES[subgraph]}`;
  if (process.env.TEST_DATABASE_URL) return parseMysqlUrl(process.env.TEST_DATABASE_URL, 'TEST_DATABASE_URL', name, 5);
  sqliteDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-test-'));
  return { kind: 'sqlite', file: path.join(sqliteDir, `${name}.sqlite`) };
}

export interface TestDatabase extends OpenedDataSource {
  config: DatabaseConfig;
  /** Deletes every row (children first), keeping the schema. */
  reset(): Promise<void>;
  /** Closes the pool and drops the database (MySQL) or deletes the file (SQLite). */
  drop(): Promise<void>;
}

/**
 * Opens (creating and migrating) a fresh database for one subgraph, with no rows: the suite's own (`label`), or
 * the one `config` describes (a primary with replicas, say).
 */
export async function openTestDatabase(
  subgraph: SubgraphName,
  label: string,
  config: DatabaseConfig = testDatabaseConfig(subgraph, label),
): Promise<TestDatabase> {
  if (config.kind === 'mysql') await dropMysqlDatabase(config);
  else fs.rmSync(config.file, { force: true });
  const opened = await openDataSource(config, { ...subgraphDatabases[subgraph], logger });
  const database: TestDatabase = {
    ...opened,
    config,
    async reset() {
      const tables = [...opened.dataSource.entityMetadatas].reverse().map((metadata) => metadata.tableName);
      for (const table of orderedForDelete(subgraph, tables)) {
        await opened.dataSource.query(`DELETE FROM ${opened.dataSource.driver.escape(table)}`);
      }
    },
    async drop() {
      if (opened.dataSource.isInitialized) await opened.dataSource.destroy();
      if (config.kind === 'mysql') await dropMysqlDatabase(config);
      else fs.rmSync(config.file, { force: true });
    },
  };
  return database;
}

/** Child tables before their parents, so foreign keys never block a reset. */
function orderedForDelete(subgraph: SubgraphName, tables: string[]): string[] {
  const order: Record<SubgraphName, string[]> = {
    account: ['address', 'users'],
    product: ['stock_reservation', 'product', 'category'],
    order: ['order_item', 'orders', 'checkout_intent'],
  };
  return order[subgraph].filter((table) => tables.includes(table));
}

/** Drops a MySQL database if it exists (a test's leftovers from an earlier run). */
export async function dropMysqlDatabase(config: Extract<DatabaseConfig, { kind: 'mysql' }>): Promise<void> {
  const connection = await mysql.createConnection({ host: config.host, port: config.port, user: config.user, password: config.password });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${config.database}\``);
  } finally {
    await connection.end();
  }
}
