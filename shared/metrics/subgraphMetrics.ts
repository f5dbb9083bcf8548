import type { DataSource } from 'typeorm';
import { mysqlPools, PRIMARY } from '../db/mysqlPools';
import { ReplicaReads } from '../db/ReplicaReads';
import { StatementCounter } from '../db/StatementCounter';
import { onBatch } from './batches';
import type { Metrics } from './Metrics';

/**
 * A subgraph's own metrics besides requests: its database pools (connections in use, idle and requests waiting
 * for one, per server: the primary and each read replica), the SQL statements it sends per server, with replicas
 * their lag, whether each is in rotation and the replica-mode reads each server answered, and the size of each
 * DataLoader batch (how well batching works: one batch of 50 keys, not 50 batches of 1). Returns a function that
 * detaches them.
 */
export function instrumentSubgraph(metrics: Metrics, dataSource: DataSource): () => void {
  metrics.gauge(
    'db_pool_connections',
    'Database pool connections by server and state (waiting: requests queued for one).',
    ['server', 'state'],
    function collect() {
      const pools = mysqlPools(dataSource);
      for (const { server, pool } of pools) {
        const all = pool._allConnections?.length ?? 0;
        const free = pool._freeConnections?.length ?? 0;
        this.set({ server, state: 'in_use' }, all - free);
        this.set({ server, state: 'idle' }, free);
        this.set({ server, state: 'waiting' }, pool._connectionQueue?.length ?? 0);
        this.set({ server, state: 'max' }, pool.config?.connectionLimit ?? 0);
      }
      if (pools.length === 0) {
        // SQLite: one connection in the process, used synchronously.
        this.set({ server: PRIMARY, state: 'in_use' }, 0);
        this.set({ server: PRIMARY, state: 'idle' }, dataSource.isInitialized ? 1 : 0);
        this.set({ server: PRIMARY, state: 'waiting' }, 0);
        this.set({ server: PRIMARY, state: 'max' }, 1);
      }
    },
  );
  const statements = metrics.counter('db_statements_total', 'SQL statements sent to the database, by server.', ['server']);
  const stopCounting = StatementCounter.of(dataSource)?.onStatement((_sql, server) => statements.inc({ server }));
  const stopReplicas = instrumentReplicas(metrics, dataSource);
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
    stopReplicas();
    stopBatches();
  };
}

/** Lag and rotation of each replica, reads per server, and why reads fell back to the primary. Nothing without replicas. */
function instrumentReplicas(metrics: Metrics, dataSource: DataSource): () => void {
  const replicas = ReplicaReads.of(dataSource);
  if (!replicas) return () => undefined;
  metrics.gauge(
    'db_replica_lag_seconds',
    'How far each read replica was behind the primary at its last probe (+Inf: behind what the primary had when the subgraph started).',
    ['server'],
    function collect() {
      for (const replica of replicas.replicas()) if (replica.lagMs !== null) this.set({ server: replica.server }, replica.lagMs / 1000);
    },
  );
  metrics.gauge(
    'db_replica_in_rotation',
    'Whether each read replica takes reads (1) or is out, lagging or down (0).',
    ['server', 'health'],
    function collect() {
      this.reset();
      for (const replica of replicas.replicas())
        this.set({ server: replica.server, health: replica.health }, replica.health === 'in' ? 1 : 0);
    },
  );
  const reads = metrics.counter('db_reads_total', 'Replica-eligible reads, by the server that answered them.', ['server']);
  const fallbacks = metrics.counter(
    'db_read_fallbacks_total',
    'Replica-eligible reads the primary answered, by reason (no_replica, own_write, replica_behind, position_unknown, replica_failed).',
    ['reason'],
  );
  return replicas.onRead((server, fallback) => {
    reads.inc({ server });
    if (fallback) fallbacks.inc({ reason: fallback });
  });
}
