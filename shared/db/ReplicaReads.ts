import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { USER_ID_HEADER } from '../identity';
import type { Logger } from '../logger';
import { deadlineErrorOf, isDatabaseUnavailable } from './databaseErrors';
import type { GtidDialect, GtidPosition } from './gtid';
import { type MysqlConnection, PRIMARY, poolClusterOf, type ServerName } from './mysqlPools';
import type { ReplicaMonitor, ReplicaState } from './ReplicaMonitor';
import type { StatementCounter } from './StatementCounter';
import type { WritePositions } from './WritePositions';

/**
 * Where a read may go: `primary` always reads the primary (what must see the latest committed state: idempotency,
 * checkout intents, the sweeper, anything in a transaction); `replica` lets a read-only query be served by a
 * replica when that cannot show the caller anything older than their own writes.
 */
export type ReadMode = 'primary' | 'replica';

/** Why a replica-mode read went to the primary (the `reason` label of `db_read_fallbacks_total`). */
export type FallbackReason =
  /** No replica is configured in rotation (all lagging or down). */
  | 'no_replica'
  /** This request wrote: the rest of it reads its own writes on the primary. */
  | 'own_write'
  /** The caller wrote recently, and the replica had not applied it within the wait. */
  | 'replica_behind'
  /** The caller's last write position could not be looked up (Redis unreachable). */
  | 'position_unknown'
  /** The replica failed (connection refused or lost): it is out of rotation, and the read is served again by the primary. */
  | 'replica_failed';

/** What one request knows about its reads of one database. */
interface RequestState {
  /** The request wrote on the primary (an INSERT, UPDATE, DELETE or REPLACE went out). */
  wrote: boolean;
  /** The caller's last write position, looked up once per request. */
  required?: Promise<GtidPosition | null | 'unknown'>;
  /** The replica this request reads from, once chosen, and whether it has reached `required` there. */
  pinned?: { server: ServerName; reached: boolean };
}

/** One request's reads: who it is for, and per database what it knows. */
class ReadScope {
  readonly states = new Map<ReplicaReads, RequestState>();
  constructor(readonly userId: string | null) {}

  stateOf(reads: ReplicaReads): RequestState {
    let state = this.states.get(reads);
    if (!state) {
      state = { wrote: false };
      this.states.set(reads, state);
    }
    return state;
  }
}

const scopes = new AsyncLocalStorage<ReadScope>();

/**
 * Runs one request's handling on behalf of `userId` (the verified id the router sends in `x-user-id`; null when
 * anonymous): its replica reads honour that caller's recent writes, and `settleWrites` records its own.
 */
export function withReadScope<T>(userId: string | null, work: () => T): T {
  return scopes.run(new ReadScope(userId), work);
}

/**
 * Records, before the answer goes out, where the primary stood after this request's writes, so that the caller's
 * next requests (on any pod, in any subgraph this request wrote to) read at least that. Call it after the work and
 * before responding; a request that wrote nothing costs nothing.
 */
export async function settleWrites(): Promise<void> {
  const scope = scopes.getStore();
  if (!scope) return;
  await Promise.all([...scope.states].filter(([, state]) => state.wrote).map(([reads]) => reads.rememberWrite(scope.userId)));
}

/**
 * The identity header for a call this request makes to another service on the caller's behalf (the product
 * subgraph's internal stock API), so that the writes made there count as the caller's. Empty outside a request
 * or for an anonymous caller.
 */
export function forwardedCallerHeaders(): Record<string, string> {
  const userId = scopes.getStore()?.userId;
  return userId ? { [USER_ID_HEADER]: userId } : {};
}

/** A position no replica can prove it reached: the caller reads from the primary until the window ends. */
const PRIMARY_ONLY: GtidPosition = { text: '', rank: Number.MAX_SAFE_INTEGER };

/** Statements that change data (TypeORM sends these verbs; DDL runs in migrations, outside requests). */
const WRITE = /^\s*(insert|update|delete|replace)\b/i;

const byDataSource = new WeakMap<DataSource, ReplicaReads>();

export interface ReplicaReadsOptions {
  /** The database's name: with the caller, the key of remembered write positions. */
  database: string;
  dialect: GtidDialect;
  monitor: ReplicaMonitor;
  positions: WritePositions;
  /** How long a read for a caller who wrote recently waits on a replica for their write before using the primary. */
  waitMs: number;
  statements: StatementCounter;
  logger: Logger;
}

/**
 * Routes the reads that opt in (`readWith(dataSource, 'replica', …)`) to the replicas of a DataSource opened with
 * TypeORM replication (`defaultMode: 'master'`: everything else stays on the primary), and keeps read-your-writes:
 *
 * - a request that wrote reads the rest of its answer from the primary;
 * - a caller who wrote in the last `DATABASE_READ_YOUR_WRITES_WINDOW_MS` (any pod, any request: the position is in
 *   `WritePositions`) reads from a replica only once it has applied that position (`MASTER_GTID_WAIT` /
 *   `WAIT_FOR_EXECUTED_GTID_SET` on the very connection the read then uses, for at most `waitMs`), else from the
 *   primary;
 * - everyone else reads from a replica in rotation (round robin), which is at most `DATABASE_REPLICA_MAX_LAG_MS`
 *   behind, give or take one monitor interval.
 *
 * mysql2's pool cluster neither falls back to the primary when no replica is online ("Pool does Not have online
 * node") nor brings a removed node back by default; here the monitor decides which replica is in, the cluster never
 * removes a node, and a read whose replica fails (refused, cut mid-query) is served again by the primary: a dead
 * replica costs latency, not a failed request.
 */
export class ReplicaReads {
  private next = 0;
  private readonly readListeners: ((server: ServerName, fallback: FallbackReason | null) => void)[] = [];
  private readonly stopWatching: () => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: ReplicaReadsOptions,
  ) {
    byDataSource.set(dataSource, this);
    // A write on the primary inside a request marks the request: its later reads go to the primary.
    this.stopWatching = options.statements.onStatement((sql, server) => {
      if (server !== PRIMARY || !WRITE.test(sql)) return;
      const scope = scopes.getStore();
      if (scope) scope.stateOf(this).wrote = true;
    });
  }

  /** The replica reads of a DataSource, if it has replicas. */
  static of(dataSource: DataSource): ReplicaReads | undefined {
    return byDataSource.get(dataSource);
  }

  /** Every replica's state (readiness, metrics). */
  replicas(): readonly ReplicaState[] {
    return this.options.monitor.replicas();
  }

  /** Called for each replica-mode read with the server that served it, and why it fell back to the primary if it did. */
  onRead(listener: (server: ServerName, fallback: FallbackReason | null) => void): () => void {
    this.readListeners.push(listener);
    return () => {
      const index = this.readListeners.indexOf(listener);
      if (index !== -1) this.readListeners.splice(index, 1);
    };
  }

  /** Runs read-only `work` on a replica when that is safe (see the class), else on the primary. */
  async read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const scope = scopes.getStore();
    const state = scope?.stateOf(this);
    if (state?.wrote) return this.onPrimary(work, 'own_write');
    const candidates = this.options.monitor.inRotation();
    if (candidates.length === 0) return this.onPrimary(work, 'no_replica');
    let required: GtidPosition | null = null;
    if (scope?.userId && state) {
      state.required ??= this.options.positions.recall(this.options.database, scope.userId).catch(() => 'unknown' as const);
      const recalled = await state.required;
      if (recalled === 'unknown') return this.onPrimary(work, 'position_unknown');
      required = recalled;
    }
    const replica = candidates.find((candidate) => candidate.server === state?.pinned?.server) ?? this.pick(candidates);
    const reached = required === null || (state?.pinned?.server === replica.server && state.pinned.reached);
    if (!reached && required && (replica.position === null || replica.position.rank < required.rank)) {
      // A position that cannot be waited for, or a replica that was behind it at its last probe and lags more than
      // the wait: waiting would only add the wait to the read.
      if (required.rank === PRIMARY_ONLY.rank || (replica.lagMs ?? Number.POSITIVE_INFINITY) > this.options.waitMs) {
        return this.onPrimary(work, 'replica_behind');
      }
    }
    const outcome = await this.onReplica(work, replica, reached ? null : required, state);
    return 'result' in outcome ? outcome.result : this.onPrimary(work, outcome.fallback);
  }

  /**
   * Runs `work` on `replica` after waiting there for `required` (if any). Answers with the result, or with the
   * reason to go to the primary instead; throws what the primary would throw too (a bad statement, a deadline).
   */
  private async onReplica<T>(
    work: (manager: EntityManager) => Promise<T>,
    replica: ReplicaState,
    required: GtidPosition | null,
    state: RequestState | undefined,
  ): Promise<{ result: T } | { fallback: FallbackReason }> {
    let connection: MysqlConnection;
    try {
      connection = await this.connect(replica.node);
    } catch (error) {
      this.options.monitor.markDown(replica.server, error);
      return { fallback: 'replica_failed' };
    }
    let handedOver = false;
    try {
      if (required && !(await this.waitFor(connection, required, replica))) return { fallback: 'replica_behind' };
      if (state) state.pinned = { server: replica.server, reached: true };
      const runner = this.dataSource.createQueryRunner('slave');
      // The query runner takes this connection (the one that waited) instead of asking the cluster for any replica.
      const driver = this.dataSource.driver as unknown as { prepareDbConnection(connection: MysqlConnection): MysqlConnection };
      Object.assign(runner, { databaseConnection: driver.prepareDbConnection(connection) });
      handedOver = true;
      try {
        const result = await work(runner.manager);
        this.emit(replica.server, null);
        return { result };
      } finally {
        await runner.release();
      }
    } catch (error) {
      if (deadlineErrorOf(error) || !isDatabaseUnavailable(error)) throw error;
      this.options.monitor.markDown(replica.server, error);
      if (state?.pinned?.server === replica.server) state.pinned = undefined;
      return { fallback: 'replica_failed' };
    } finally {
      if (!handedOver) connection.release?.();
    }
  }

  /** Remembers where the primary stands now as `userId`'s last write (after their request wrote). */
  async rememberWrite(userId: string | null): Promise<void> {
    if (userId === null) return;
    let position = PRIMARY_ONLY;
    try {
      const [row] = await this.dataSource.query(this.options.dialect.primaryPositionSql);
      position = this.options.dialect.parse(String(row?.Value ?? ''));
    } catch (error) {
      // Without the position, the caller reads from the primary for the window: slower, never stale.
      this.options.logger.warn({ err: error }, 'could not read the primary GTID position after a write');
    }
    await this.options.positions.remember(this.options.database, userId, position);
  }

  async close(): Promise<void> {
    this.stopWatching();
    await this.options.monitor.stop();
    await this.options.positions.close();
  }

  private pick(candidates: ReplicaState[]): ReplicaState {
    this.next = (this.next + 1) % Number.MAX_SAFE_INTEGER;
    return candidates[this.next % candidates.length];
  }

  private async onPrimary<T>(work: (manager: EntityManager) => Promise<T>, reason: FallbackReason): Promise<T> {
    const result = await work(this.dataSource.manager);
    this.emit(PRIMARY, reason);
    return result;
  }

  private emit(server: ServerName, fallback: FallbackReason | null): void {
    for (const listener of this.readListeners) listener(server, fallback);
  }

  private connect(node: string): Promise<MysqlConnection> {
    const cluster = poolClusterOf(this.dataSource);
    if (!cluster) return Promise.reject(new Error('the DataSource has no replicas'));
    return new Promise((resolve, reject) => {
      cluster.getConnection(node, (error, connection) => (error ? reject(error) : resolve(connection)));
    });
  }

  /** Waits on `connection`'s replica for `position`, at most `waitMs`; false when it did not get there. */
  private waitFor(connection: MysqlConnection, position: GtidPosition, replica: ReplicaState): Promise<boolean> {
    const { sql, params } = this.options.dialect.waitSql(position.text, this.options.waitMs);
    return new Promise<boolean>((resolve, reject) => {
      try {
        connection.query(sql, params, (error: Error | null, rows: Record<string, unknown>[]) => {
          if (error) {
            if (isDatabaseUnavailable(error)) reject(error);
            else {
              this.options.logger.warn({ err: error, replica: replica.server }, 'waiting on a replica for a GTID failed');
              resolve(false);
            }
            return;
          }
          resolve(this.options.dialect.reached(rows[0]?.waited));
        });
      } catch (error) {
        // The statement guard refuses a request that is out of time.
        reject(error);
      }
    });
  }
}

/**
 * Runs read-only `work` with an EntityManager: on a replica when `mode` is `replica` and the DataSource has
 * replicas (and it is safe for the caller, see `ReplicaReads`), else on the primary. Use the manager for every
 * statement of the work (`manager.find…`, `manager.query`, `manager.getRepository(…)`).
 */
export function readWith<T>(dataSource: DataSource, mode: ReadMode, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  const replicas = mode === 'replica' ? byDataSource.get(dataSource) : undefined;
  return replicas ? replicas.read(work) : work(dataSource.manager);
}
