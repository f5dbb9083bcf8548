import type { DataSource } from 'typeorm';
import { StatementCounter } from '../db/StatementCounter';
import { onBatch } from './batches';
import type { Metrics } from './Metrics';

interface MysqlPoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

/**
 * A subgraph's own metrics besides requests: its database pool (connections in use, idle and requests
 * waiting for one), the SQL statements it sends, and the size of each DataLoader batch (how well batching
 * works: one batch of 50 keys, not 50 batches of 1). Returns a function that detaches them.
 */
export function instrumentSubgraph(metrics: Metrics, dataSource: DataSource): () => void {
  const pool = () => (dataSource.driver as unknown as { pool?: MysqlPoolInternals }).pool;
  metrics.gauge(
    'db_pool_connections',
    'Database pool connections by state (waiting: requests queued for one).',
    ['state'],
    function collect() {
      const internals = dataSource.options.type === 'mysql' ? pool() : undefined;
      if (internals) {
        const all = internals._allConnections?.length ?? 0;
        const free = internals._freeConnections?.length ?? 0;
        this.set({ state: 'in_use' }, all - free);
        this.set({ state: 'idle' }, free);
        this.set({ state: 'waiting' }, internals._connectionQueue?.length ?? 0);
        this.set({ state: 'max' }, internals.config?.connectionLimit ?? 0);
      } else {
        // SQLite: one connection in the process, used synchronously.
        this.set({ state: 'in_use' }, 0);
        this.set({ state: 'idle' }, dataSource.isInitialized ? 1 : 0);
        this.set({ state: 'waiting' }, 0);
        this.set({ state: 'max' }, 1);
      }
    },
  );
  const statements = metrics.counter('db_statements_total', 'SQL statements sent to the database.');
  const stopCounting = StatementCounter.of(dataSource)?.onStatement(() => statements.inc());
  const entities = new Set(dataSource.entityMetadatas.map((metadata) => metadata.name));
  const batches = metrics.histogram(
    'dataloader_batch_size',
    'Keys per DataLoader batch, by loader.',
    ['loader'],
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  );
  // Loader names start with their entity (`Order.userId`): count only this subgraph's own.
  const stopBatches = onBatch((loader, size) => {
    if (entities.has(loader.split('.')[0])) batches.observe({ loader }, size);
  });
  return () => {
    stopCounting?.();
    stopBatches();
  };
}
