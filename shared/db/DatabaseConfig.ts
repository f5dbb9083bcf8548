import path from 'node:path';
import { DATABASE_NAMES, DEFAULT_DATA_DIR, type SubgraphName } from '../defaults';
import { ConfigError, type Env, readInteger, readOptionalString, readString, redactUrl } from '../env';

/** Where a subgraph keeps its data: a database on a MySQL server, or the embedded SQLite file. */
export type DatabaseConfig = MysqlDatabaseConfig | SqliteDatabaseConfig;

export interface MysqlDatabaseConfig {
  kind: 'mysql';
  host: string;
  port: number;
  user: string;
  password: string;
  /** The subgraph's own database on that server, created if missing. */
  database: string;
  /** Connections in the subgraph's pool. Default 10. */
  poolSize: number;
  /** Requests that may wait for a pooled connection before new ones fail fast (`DATABASE_QUEUE_LIMIT`). Default 100. */
  queueLimit: number;
  /**
   * Server-side limit on one statement, in ms (`DATABASE_STATEMENT_TIMEOUT_MS`): MariaDB's
   * `max_statement_time`, MySQL's `max_execution_time` (SELECTs only there). TypeORM's own timeout is
   * client-side only: the server would go on working. Default 5000; 0 turns it off.
   */
  statementTimeoutMs: number;
  /**
   * How long opening a connection may take, in ms (`DATABASE_CONNECT_TIMEOUT_MS`, default 3000): while the
   * server is down or restarting, requests fail with SERVICE_UNAVAILABLE after this instead of hanging.
   */
  connectTimeoutMs: number;
}

export interface SqliteDatabaseConfig {
  kind: 'sqlite';
  /** The database file; `:memory:` for a throwaway database. */
  file: string;
}

/**
 * Reads a subgraph's database from the environment: `<NAME>_DATABASE_URL`, else `DATABASE_URL`, else
 * the embedded default under `DATA_DIR` (`.data/`). `DATABASE_NAME_PREFIX` is put before every
 * database (or file) name, so that test runs can keep databases of their own on a shared server.
 */
export function readDatabaseConfig(env: Env, subgraph: SubgraphName): DatabaseConfig {
  const variable = `${subgraph.toUpperCase()}_DATABASE_URL`;
  const prefix = readString(env, 'DATABASE_NAME_PREFIX', '');
  if (!/^[A-Za-z0-9_]*$/.test(prefix)) {
    throw new ConfigError(`DATABASE_NAME_PREFIX may hold only letters, digits and '_', got '${prefix}'`);
  }
  const poolSize = readInteger(env, 'DATABASE_POOL_SIZE', 10, { min: 1, max: 1000 });
  const limits = {
    queueLimit: readInteger(env, 'DATABASE_QUEUE_LIMIT', 100, { min: 0, max: 100_000 }),
    statementTimeoutMs: readInteger(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, { min: 0, max: 3_600_000 }),
    connectTimeoutMs: readInteger(env, 'DATABASE_CONNECT_TIMEOUT_MS', 3000, { min: 100, max: 600_000 }),
  };
  const own = readOptionalString(env, variable);
  const url = own ?? readOptionalString(env, 'DATABASE_URL');
  if (url === undefined) {
    const dataDir = readString(env, 'DATA_DIR', DEFAULT_DATA_DIR);
    return { kind: 'sqlite', file: path.resolve(dataDir, `${prefix}${DATABASE_NAMES[subgraph]}.sqlite`) };
  }
  return {
    ...parseMysqlUrl(url, own !== undefined ? variable : 'DATABASE_URL', `${prefix}${DATABASE_NAMES[subgraph]}`, poolSize),
    ...limits,
  };
}

/**
 * Parses `mysql://user:pass@host:port[/database]`. A database named in the URL wins over the
 * subgraph's default name (for a per-subgraph URL pointing at an existing database).
 */
export function parseMysqlUrl(raw: string, variable: string, defaultDatabase: string, poolSize = 10): MysqlDatabaseConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${variable} must look like mysql://user:password@host:3306, got '${redactUrl(raw)}'`);
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError(`${variable} must be a mysql:// URL, got '${redactUrl(raw)}'`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || defaultDatabase;
  if (!/^[A-Za-z0-9_]+$/.test(database)) {
    throw new ConfigError(`${variable}: database name may hold only letters, digits and '_', got '${database}'`);
  }
  return {
    kind: 'mysql',
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database,
    poolSize,
    queueLimit: 100,
    statementTimeoutMs: 5000,
    connectTimeoutMs: 3000,
  };
}

/** A description safe for logs: no password. */
export function describeDatabase(config: DatabaseConfig): string {
  return config.kind === 'mysql' ? `mysql://${config.user}@${config.host}:${config.port}/${config.database}` : `sqlite:${config.file}`;
}
