import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { guardStatement } from '../deadline';
import type { DatabaseConfig, MysqlDatabaseConfig } from './DatabaseConfig';
import { withColumnVariants } from './portableColumn';
import { StatementCounter } from './StatementCounter';
import { sqliteDriver } from './sqliteDriver';

export interface OpenDataSourceOptions {
  // biome-ignore lint/complexity/noBannedTypes: TypeORM's own type for entity classes
  entities: MixedList<Function | string | EntitySchema>;
  // biome-ignore lint/complexity/noBannedTypes: TypeORM's own type for migration classes
  migrations: MixedList<Function | string>;
  /** Apply pending migrations after connecting (under a lock on MySQL). Default true. */
  migrate?: boolean;
}

export interface OpenedDataSource {
  dataSource: DataSource;
  statements: StatementCounter;
}

/**
 * Opens a subgraph's database: creates the MySQL database if it is missing, connects a bounded pool,
 * and applies pending migrations under a lock. The schema is never `synchronize`d: migrations own it.
 */
export async function openDataSource(config: DatabaseConfig, options: OpenDataSourceOptions): Promise<OpenedDataSource> {
  const dataSource =
    config.kind === 'mysql'
      ? await mysqlDataSource(config, options)
      : new DataSource({
          type: 'better-sqlite3',
          driver: sqliteDriver(),
          database: prepareSqliteFile(config.file),
          entities: options.entities,
          migrations: options.migrations,
          migrationsTransactionMode: 'all',
          enableWAL: config.file !== ':memory:',
          // Several processes (a seed and a running subgraph) may share the file; wait rather than fail.
          timeout: 10_000,
          synchronize: false,
        });
  await withColumnVariants(config.kind, () => dataSource.initialize());
  // Session settings first: they belong to each new connection, not to the request that happens to open it.
  if (config.kind === 'mysql') await applySessionLimits(dataSource, config);
  const statements = new StatementCounter().attach(dataSource).setGuard(guardStatement);
  try {
    if (options.migrate !== false) await runMigrations(dataSource, config);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return { dataSource, statements };
}

function prepareSqliteFile(file: string): string {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

async function mysqlDataSource(config: MysqlDatabaseConfig, options: OpenDataSourceOptions): Promise<DataSource> {
  await createDatabaseIfMissing(config);
  return new DataSource({
    type: 'mysql',
    connectorPackage: 'mysql2',
    host: config.host,
    port: config.port,
    username: config.user,
    password: config.password,
    database: config.database,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    poolSize: config.poolSize,
    entities: options.entities,
    migrations: options.migrations,
    // MySQL cannot roll back DDL, so each migration commits on its own and a failure stops at a known version.
    migrationsTransactionMode: 'each',
    synchronize: false,
    // A bounded queue: past it, a request fails fast instead of waiting behind a pool that cannot keep up.
    extra: { enableKeepAlive: true, connectTimeout: config.connectTimeoutMs, queueLimit: config.queueLimit },
  });
}

type Connection = { query(sql: string, callback: (error: Error | null) => void): void };

/** `SET SESSION …` for the statement timeout, in the dialect of the server (MariaDB and MySQL differ). */
export function statementTimeoutStatement(serverVersion: string, timeoutMs: number): string {
  return /mariadb/i.test(serverVersion)
    ? `SET SESSION max_statement_time = ${(timeoutMs / 1000).toFixed(3)}`
    : `SET SESSION max_execution_time = ${Math.round(timeoutMs)}`;
}

/** Applies the server-side statement timeout to every connection of the pool, now and as new ones open. */
async function applySessionLimits(dataSource: DataSource, config: MysqlDatabaseConfig): Promise<void> {
  if (config.statementTimeoutMs <= 0) return;
  const [{ version }] = await dataSource.query('SELECT VERSION() AS version');
  const statement = statementTimeoutStatement(String(version), config.statementTimeoutMs);
  const pool = (
    dataSource.driver as unknown as {
      pool: {
        on(event: 'connection', listener: (c: Connection) => void): void;
        _allConnections: { length: number; get(i: number): Connection };
      };
    }
  ).pool;
  const apply = (connection: Connection) =>
    new Promise<void>((resolve, reject) => connection.query(statement, (error) => (error ? reject(error) : resolve())));
  // Queued on the connection before anything TypeORM sends on it, so it applies from the first query on.
  pool.on('connection', (connection) => {
    apply(connection).catch(() => undefined);
  });
  const existing = pool._allConnections;
  for (let i = 0; i < existing.length; i++) await apply(existing.get(i));
}

/** Creates the subgraph's database on the server if it does not exist yet. */
export async function createDatabaseIfMissing(config: MysqlDatabaseConfig): Promise<void> {
  const connection = await mysql.createConnection({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    connectTimeout: 10_000,
  });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${config.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
}

/**
 * Applies pending migrations under a lock, so that concurrent starters (several replicas, a seed beside a
 * running subgraph) wait for each other instead of racing on DDL. MySQL: a named lock (`GET_LOCK`) held on
 * a connection of its own. SQLite: the pending list is read and applied inside one `BEGIN IMMEDIATE`
 * transaction, which holds the file's write lock (SQLite DDL is transactional: all or nothing).
 */
export async function runMigrations(dataSource: DataSource, config: DatabaseConfig): Promise<void> {
  if (config.kind !== 'mysql') {
    await dataSource.query('BEGIN IMMEDIATE');
    try {
      await dataSource.runMigrations({ transaction: 'none' });
      await dataSource.query('COMMIT');
    } catch (error) {
      await dataSource.query('ROLLBACK');
      throw error;
    }
    return;
  }
  const lockName = `migrations:${config.database}`;
  const lockRunner = dataSource.createQueryRunner();
  try {
    const [row] = await lockRunner.query('SELECT GET_LOCK(?, 120) AS acquired', [lockName]);
    if (Number(row.acquired) !== 1) {
      throw new Error(`Timed out waiting for the migration lock on ${config.database}`);
    }
    try {
      await dataSource.runMigrations();
    } finally {
      await lockRunner.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    await lockRunner.release();
  }
}
