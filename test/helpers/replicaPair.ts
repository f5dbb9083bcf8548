import path from 'node:path';
import mysql from 'mysql2/promise';
import { pairAt, type ReplicaPairOptions } from '../../scripts/lib/replicaPair';
import { DATABASE_NAMES, type DatabaseConfig, type MysqlDatabaseConfig, parseMysqlUrl, type SubgraphName } from '../../shared';

/**
 * The primary and replica the replica tests run on: `TEST_REPLICA_URLS=<primary URL>,<replica URL>`, as
 * `npm run replica -- start` prints it (CI sets it for the MySQL pass). The pair's folder (for killing and
 * restarting the replica) is found from the replica's own data folder.
 */
export interface TestReplicaPair {
  primary: MysqlDatabaseConfig;
  replica: MysqlDatabaseConfig;
  options: ReplicaPairOptions;
  /** A server's own counter of SELECT statements (`Com_select`), to count where reads went. */
  selects(server: 'primary' | 'replica'): Promise<number>;
  /** Runs one statement straight on a server (no pool, no routing), e.g. to see what the replica holds yet. */
  query(server: 'primary' | 'replica', sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

/** Reads TEST_REPLICA_URLS; throws (the tests fail, never skip) when it is malformed or the pair does not answer. */
export async function testReplicaPair(raw: string): Promise<TestReplicaPair> {
  const urls = raw.split(',').map((url) => url.trim());
  if (urls.length !== 2) throw new Error(`TEST_REPLICA_URLS must be '<primary URL>,<replica URL>', got '${raw}'`);
  const primary = parseMysqlUrl(urls[0], 'TEST_REPLICA_URLS', 'mysql');
  const replica = parseMysqlUrl(urls[1], 'TEST_REPLICA_URLS', 'mysql');
  const connect = (server: MysqlDatabaseConfig) =>
    mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password, connectTimeout: 5_000 });
  let dataDir: string;
  try {
    const connection = await connect(replica);
    try {
      const [[row]] = (await connection.query('SELECT @@datadir AS dir')) as unknown as [{ dir: string }[]];
      dataDir = row.dir;
    } finally {
      await connection.end();
    }
    await (await connect(primary)).end();
  } catch (error) {
    throw new Error(`TEST_REPLICA_URLS is set but the pair does not answer (start it: npm run replica -- start): ${String(error)}`);
  }
  // <pair>/replica/data/ → <pair>
  const options = pairAt(path.dirname(path.dirname(path.resolve(dataDir))));
  const query: TestReplicaPair['query'] = async (server, sql, params = []) => {
    const connection = await connect(server === 'primary' ? primary : replica);
    try {
      const [rows] = await connection.query(sql, params);
      return rows as Record<string, unknown>[];
    } finally {
      await connection.end();
    }
  };
  return {
    primary,
    replica,
    options,
    query,
    async selects(server) {
      const [row] = await query(server, "SHOW GLOBAL STATUS LIKE 'Com_select'");
      return Number(row.Value);
    },
  };
}

/**
 * Holds the pair for one test file: the replica tests change the replica's delay and stop it, so two files must
 * never run on it at once (jest runs files in parallel). A MariaDB named lock on the primary, held by a connection
 * of its own until `release()` (or until the process dies), waited for up to ten minutes.
 */
export async function lockReplicaPair(raw: string): Promise<{ release(): Promise<void> }> {
  const primary = parseMysqlUrl(raw.split(',')[0].trim(), 'TEST_REPLICA_URLS', 'mysql');
  const connection = await mysql.createConnection({
    host: primary.host,
    port: primary.port,
    user: primary.user,
    password: primary.password,
    connectTimeout: 5_000,
  });
  const [[row]] = (await connection.query("SELECT GET_LOCK('supergraph_replica_tests', 600) AS got")) as unknown as [{ got: number }[]];
  if (Number(row.got) !== 1) {
    await connection.end();
    throw new Error('another replica test held the pair for ten minutes');
  }
  return { release: () => connection.end() };
}

/**
 * A subgraph's database on `pair` for a test labelled `label` (a database per jest worker), reading from the replica
 * with `maxLagMs`, `checkIntervalMs` and write positions in `redisUrl` (null: in the process).
 */
export function replicaDatabaseConfig(
  pair: TestReplicaPair,
  label: string,
  subgraph: SubgraphName,
  options: { maxLagMs: number; checkIntervalMs: number; redisUrl: string | null },
): DatabaseConfig {
  const database = `t${process.env.JEST_WORKER_ID ?? '0'}_${label}_${DATABASE_NAMES[subgraph]}`;
  return {
    ...pair.primary,
    database,
    poolSize: 5,
    replication: {
      replicas: [{ ...pair.replica, database }],
      maxLagMs: options.maxLagMs,
      checkIntervalMs: options.checkIntervalMs,
      waitMs: 100,
      readYourWritesWindowMs: 10_000,
      redisUrl: options.redisUrl,
    },
  };
}
