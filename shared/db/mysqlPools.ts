import type { DataSource } from 'typeorm';

/** A mysql2 connection, as far as this project touches it. */
export interface MysqlConnection {
  query(sql: string | { sql: string }, ...rest: unknown[]): unknown;
  execute(sql: string | { sql: string }, ...rest: unknown[]): unknown;
  release?(): void;
}

/** A mysql2 pool's internals the statement counter, the session limits and the pool metrics read. */
export interface MysqlPool {
  _allConnections?: { length: number; get(index: number): MysqlConnection };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
  on(event: 'connection', listener: (connection: MysqlConnection) => void): void;
}

/** mysql2's PoolCluster, which TypeORM builds when `replication` is set (nodes `MASTER`, `SLAVE0`, `SLAVE1`…). */
export interface MysqlPoolCluster {
  _nodes: Record<string, { pool: MysqlPool }>;
  getConnection(pattern: string, callback: (error: Error | null, connection: MysqlConnection) => void): void;
}

/** `primary`, or `replica1`, `replica2`… in the order of `DATABASE_REPLICA_URLS`: the `server` label of metrics. */
export type ServerName = string;

export const PRIMARY: ServerName = 'primary';

/** The server name of a replica by its index in the configuration (TypeORM's node `SLAVE<index>`). */
export const replicaName = (index: number): ServerName => `replica${index + 1}`;

/**
 * Every connection pool of a MySQL DataSource, with the server it reaches: one pool without replicas
 * (`driver.pool`), or one per server of TypeORM's pool cluster with them (`driver.poolCluster`, where
 * `driver.pool` does not exist). SQLite: none.
 */
export function mysqlPools(dataSource: DataSource): { server: ServerName; pool: MysqlPool }[] {
  if (dataSource.options.type !== 'mysql') return [];
  const driver = dataSource.driver as unknown as { pool?: MysqlPool; poolCluster?: MysqlPoolCluster };
  if (driver.pool) return [{ server: PRIMARY, pool: driver.pool }];
  if (!driver.poolCluster) return [];
  return Object.entries(driver.poolCluster._nodes).map(([node, { pool }]) => ({
    server: node === 'MASTER' ? PRIMARY : replicaName(Number(node.replace('SLAVE', ''))),
    pool,
  }));
}

/** The pool cluster of a DataSource with replicas, else null. */
export function poolClusterOf(dataSource: DataSource): MysqlPoolCluster | null {
  return (dataSource.driver as unknown as { poolCluster?: MysqlPoolCluster }).poolCluster ?? null;
}

/** Calls `listener` for every connection of `pool`: those open now and each one it opens later. */
export function forEachConnection(pool: MysqlPool, listener: (connection: MysqlConnection) => void): void {
  const existing = pool._allConnections;
  for (let i = 0; existing && i < existing.length; i++) listener(existing.get(i));
  pool.on('connection', listener);
}
