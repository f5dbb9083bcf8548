import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { guardStatement } from '../deadline';
import { createLogger, type Logger } from '../logger';
import type { DatabaseConfig, MysqlDatabaseConfig, MysqlServerConfig, ReplicationConfig } from './DatabaseConfig';
import { gtidDialect } from './gtid';
import { forEachConnection, type MysqlConnection, mysqlPools, replicaName } from './mysqlPools';
import { withColumnVariants } from './portableColumn';
import { ReplicaMonitor } from './ReplicaMonitor';
import { ReplicaReads } from './ReplicaReads';
import { StatementCounter } from './StatementCounter';
import { sqliteDriver } from './sqliteDriver';
import { MemoryWritePositions, RedisWritePositions } from './WritePositions';

export interface OpenDataSourceOptions {
  // biome-ignore lint/complexity/noBannedTypes: TypeORM's own type for entity classes
  entities: MixedList<Function | string | EntitySchema>;
  // biome-ignore lint/complexity/noBannedTypes: TypeORM's own type for migration classes
  migrations: MixedList<Function | string>;
  /** Apply pending migrations after connecting (under a lock on MySQL). Default true. */
  migrate?: boolean;
  /** Where replica health changes are logged (with replicas only). Default: a logger named after the database. */
  logger?: Logger;
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
  const serverVersion = config.kind === 'mysql' ? await applySessionLimits(dataSource, config) : '';
  const statements = new StatementCounter().attach(dataSource).setGuard(guardStatement);
  try {
    if (options.migrate !== false) await runMigrations(dataSource, config);
    if (config.kind === 'mysql' && config.replication) {
      const logger = options.logger ?? createLogger(config.database, 'info');
      await openReplicaReads(dataSource, { ...config, replication: config.replication }, serverVersion, statements, logger);
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return { dataSource, statements };
}

/**
 * Starts replica reads for a DataSource with replicas: the monitor's first probe (so the first requests can use
 * replicas), and the store of callers' write positions. Closing the DataSource (`destroy()`) stops both.
 */
async function openReplicaReads(
  dataSource: DataSource,
  config: MysqlDatabaseConfig & { replication: ReplicationConfig },
  serverVersion: string,
  statements: StatementCounter,
  logger: Logger,
): Promise<void> {
  const { replication } = config;
  // GTID replication only runs between servers of one family, so the primary's dialect is every replica's too.
  const dialect = gtidDialect(serverVersion);
  const monitor = new ReplicaMonitor({
    primary: config,
    replicas: replication.replicas.map((replica, index) => ({ ...replica, server: replicaName(index), node: `SLAVE${index}` })),
    dialect,
    maxLagMs: replication.maxLagMs,
    intervalMs: replication.checkIntervalMs,
    logger,
  });
  const positions = replication.redisUrl
    ? new RedisWritePositions(replication.redisUrl, replication.readYourWritesWindowMs, logger)
    : new MemoryWritePositions(replication.readYourWritesWindowMs);
  const reads = new ReplicaReads(dataSource, {
    database: config.database,
    dialect,
    monitor,
    positions,
    waitMs: replication.waitMs,
    statements,
    logger,
  });
  const destroy = dataSource.destroy.bind(dataSource);
  // Every owner of a DataSource closes it with destroy(): the monitor's timer and Redis connection go with it.
  dataSource.destroy = async () => {
    await reads.close();
    return destroy();
  };
  await monitor.start();
}

function prepareSqliteFile(file: string): string {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/** TypeORM's credentials of one server. */
function credentials(server: MysqlServerConfig) {
  return { host: server.host, port: server.port, username: server.user, password: server.password, database: server.database };
}

/**
 * With replicas: TypeORM replication, where every query stays on the primary (`defaultMode: 'master'`) unless a
 * read opts in (`readWith(…, 'replica', …)`). mysql2's pool cluster is told never to give up on a node: by
 * default it removes a node after 5 failed connects and never restores it (`restoreNodeTimeout: 0`), which would
 * end every write for good after the primary restarts; and it would retry a failed connect on the same node at
 * once (`canRetry`). Replica health is the monitor's business instead, and a failed connect fails (or, for a
 * replica read, goes to the primary) like it does without replicas.
 */
function serversOf(config: MysqlDatabaseConfig) {
  if (!config.replication) return credentials(config);
  return {
    replication: {
      master: credentials(config),
      slaves: config.replication.replicas.map(credentials),
      defaultMode: 'master' as const,
      canRetry: false,
      removeNodeErrorCount: Number.MAX_SAFE_INTEGER,
      restoreNodeTimeout: config.replication.checkIntervalMs,
    },
  };
}

async function mysqlDataSource(config: MysqlDatabaseConfig, options: OpenDataSourceOptions): Promise<DataSource> {
  await createDatabaseIfMissing(config);
  return new DataSource({
    type: 'mysql',
    connectorPackage: 'mysql2',
    ...serversOf(config),
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

/** `SET SESSION …` for the statement timeout, in the dialect of the server (MariaDB and MySQL differ). */
export function statementTimeoutStatement(serverVersion: string, timeoutMs: number): string {
  return /mariadb/i.test(serverVersion)
    ? `SET SESSION max_statement_time = ${(timeoutMs / 1000).toFixed(3)}`
    : `SET SESSION max_execution_time = ${Math.round(timeoutMs)}`;
}

/**
 * Applies the server-side statement timeout to every connection of every pool (the primary's and each replica's),
 * now and as new ones open. Resolves with the primary's `VERSION()`.
 */
async function applySessionLimits(dataSource: DataSource, config: MysqlDatabaseConfig): Promise<string> {
  const [{ version }] = await dataSource.query('SELECT VERSION() AS version');
  if (config.statementTimeoutMs <= 0) return String(version);
  // GTID replication only runs between servers of one family: the primary's dialect is the replicas' too.
  const statement = statementTimeoutStatement(String(version), config.statementTimeoutMs);
  const apply = (connection: MysqlConnection) =>
    new Promise<void>((resolve, reject) =>
      connection.query(statement, (error: Error | null) => {
        if (error) reject(error);
        else resolve();
      }),
    );
  const existing: Promise<void>[] = [];
  let started = false;
  for (const { pool } of mysqlPools(dataSource)) {
    // Queued on the connection before anything TypeORM sends on it, so it applies from the first query on.
    forEachConnection(pool, (connection) => {
      const applied = apply(connection);
      if (started) applied.catch(() => undefined);
      else existing.push(applied);
    });
  }
  started = true;
  await Promise.all(existing);
  return String(version);
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
