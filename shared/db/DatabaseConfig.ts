import path from 'node:path';
import { DATABASE_NAMES, DEFAULT_DATA_DIR, type SubgraphName } from '../defaults';
import { ConfigError, type Env, readInteger, readOptionalString, readString, readUrl, redactUrl } from '../env';

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
  /** Read replicas and how reads use them; absent without `DATABASE_REPLICA_URLS` (every read on the primary). */
  replication?: ReplicationConfig;
}

/** One MySQL server: where, who, and the database (a replica holds the primary's databases under the same names). */
export interface MysqlServerConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Read replicas of a subgraph's database (see docs/read-replicas.md). */
export interface ReplicationConfig {
  /** `<NAME>_DATABASE_REPLICA_URLS`, else `DATABASE_REPLICA_URLS`: comma-separated `mysql://` URLs, in order `replica1`, `replica2`…. */
  replicas: MysqlServerConfig[];
  /**
   * `DATABASE_REPLICA_MAX_LAG_MS` (default 1000): a replica further behind the primary is taken out of reads until
   * it catches up. Other callers' reads may be this stale (plus up to one check interval); a caller's own writes never.
   */
  maxLagMs: number;
  /** `DATABASE_REPLICA_CHECK_INTERVAL_MS` (default 1000): how often each replica's position, lag and health are probed. */
  checkIntervalMs: number;
  /**
   * `DATABASE_REPLICA_WAIT_MS` (default 100): how long a read for a caller who wrote recently waits on a replica for
   * that write before it goes to the primary.
   */
  waitMs: number;
  /**
   * `DATABASE_READ_YOUR_WRITES_WINDOW_MS` (default 10000): how long after a write its caller's reads check for it. It
   * must exceed the max lag plus four check intervals, past which no replica in rotation can still lack the write.
   */
  readYourWritesWindowMs: number;
  /** `REDIS_URL`: write positions shared by every pod of the subgraph; unset: kept in the process. */
  redisUrl: string | null;
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
  const replicaVariable = readOptionalString(env, `${subgraph.toUpperCase()}_DATABASE_REPLICA_URLS`)
    ? `${subgraph.toUpperCase()}_DATABASE_REPLICA_URLS`
    : 'DATABASE_REPLICA_URLS';
  if (url === undefined) {
    if (readOptionalString(env, replicaVariable) !== undefined) {
      throw new ConfigError(`${replicaVariable} needs a MySQL primary: set ${variable} or DATABASE_URL too (SQLite has no replicas)`);
    }
    const dataDir = readString(env, 'DATA_DIR', DEFAULT_DATA_DIR);
    return { kind: 'sqlite', file: path.resolve(dataDir, `${prefix}${DATABASE_NAMES[subgraph]}.sqlite`) };
  }
  const primary = parseMysqlUrl(url, own !== undefined ? variable : 'DATABASE_URL', `${prefix}${DATABASE_NAMES[subgraph]}`, poolSize);
  const replication = readReplicationConfig(env, replicaVariable, primary.database);
  return { ...primary, ...limits, ...(replication ? { replication } : {}) };
}

/** The replicas in `variable` (comma-separated URLs) and the settings of replica reads; null when none is set. */
function readReplicationConfig(env: Env, variable: string, database: string): ReplicationConfig | null {
  const raw = readOptionalString(env, variable);
  if (raw === undefined) return null;
  const urls = raw.split(',').map((url) => url.trim());
  if (urls.some((url) => url === '')) throw new ConfigError(`${variable} must be comma-separated mysql:// URLs, got an empty one`);
  const replicas = urls.map((url) => {
    const { host, port, user, password, database: name } = parseMysqlUrl(url, variable, database);
    return { host, port, user, password, database: name };
  });
  const maxLagMs = readInteger(env, 'DATABASE_REPLICA_MAX_LAG_MS', 1000, { min: 1, max: 3_600_000 });
  const checkIntervalMs = readInteger(env, 'DATABASE_REPLICA_CHECK_INTERVAL_MS', 1000, { min: 250, max: 60_000 });
  const waitMs = readInteger(env, 'DATABASE_REPLICA_WAIT_MS', 100, { min: 1, max: 10_000 });
  const readYourWritesWindowMs = readInteger(env, 'DATABASE_READ_YOUR_WRITES_WINDOW_MS', 10_000, { min: 100, max: 3_600_000 });
  const needed = maxLagMs + 4 * checkIntervalMs;
  if (readYourWritesWindowMs <= needed) {
    throw new ConfigError(
      `DATABASE_READ_YOUR_WRITES_WINDOW_MS must exceed DATABASE_REPLICA_MAX_LAG_MS plus four DATABASE_REPLICA_CHECK_INTERVAL_MS (${needed}), got ${readYourWritesWindowMs}: a shorter window lets a caller read a replica that lacks their write`,
    );
  }
  return { replicas, maxLagMs, checkIntervalMs, waitMs, readYourWritesWindowMs, redisUrl: readUrl(env, 'REDIS_URL') ?? null };
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
  if (config.kind !== 'mysql') return `sqlite:${config.file}`;
  const replicas = config.replication?.replicas.map((replica) => `${replica.host}:${replica.port}`) ?? [];
  return `mysql://${config.user}@${config.host}:${config.port}/${config.database}${replicas.length > 0 ? ` (replicas ${replicas.join(', ')})` : ''}`;
}
