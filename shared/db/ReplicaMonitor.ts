import mysql from 'mysql2';
import type { Logger } from '../logger';
import type { GtidDialect, GtidPosition } from './gtid';
import type { ServerName } from './mysqlPools';

/** One server the monitor asks: where it is and how to log in. */
export interface MonitoredServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export type ReplicaHealth = 'starting' | 'in' | 'lagging' | 'down';

/** What the monitor knows of one replica, as readiness and metrics show it. */
export interface ReplicaState {
  /** `replica1`, `replica2`… (the metrics' `server` label). */
  server: ServerName;
  /** TypeORM's pool-cluster node (`SLAVE0`…), the pattern reads ask the cluster for. */
  node: string;
  /** `host:port`, for people. */
  address: string;
  health: ReplicaHealth;
  /** How far behind the primary it was at the last probe, in ms; Infinity while it is behind a position older than the monitor. */
  lagMs: number | null;
  /** Its applied position at the last probe. */
  position: GtidPosition | null;
  /** `performance.now()` of the last successful probe. */
  probedAt: number | null;
  /** Why it is down (the driver's message), for the log and readiness. */
  error: string | null;
}

export interface ReplicaMonitorOptions {
  primary: MonitoredServer;
  replicas: (MonitoredServer & { server: ServerName; node: string })[];
  dialect: GtidDialect;
  maxLagMs: number;
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

/** Primary positions seen, oldest first, each with the time it was first seen; at most this many are kept. */
const MAX_SAMPLES = 2_000;

/**
 * Watches every replica of one database from connections of its own (one per server, outside the pools, so that
 * probing neither takes a pool's connection nor counts as the application's statements): every `intervalMs` it
 * reads the primary's GTID position, then each replica's applied position.
 *
 * Lag is time, not transactions: the monitor remembers when it first saw each primary position, and a replica's
 * lag is the age of the oldest position it has not applied yet (0 when it has everything). It is measured to
 * within one interval, needs no writes (no heartbeat table) and no replication privileges, and reads 0 while the
 * primary is idle, which is right: nothing the replica lacks can be read stale. A replica is in rotation while
 * its last probe succeeded, is recent, and found it at most `maxLagMs` behind; a failed probe or a failed read
 * (`markDown`) takes it out until a probe finds it healthy again.
 */
export class ReplicaMonitor {
  private readonly states: ReplicaState[];
  private readonly connections = new Map<string, mysql.Connection>();
  private readonly samples: { rank: number; at: number }[] = [];
  private readonly now: () => number;
  private readonly probeTimeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: ReplicaMonitorOptions) {
    this.now = options.now ?? (() => performance.now());
    this.probeTimeoutMs = Math.min(2_000, options.intervalMs);
    this.states = options.replicas.map((replica) => ({
      server: replica.server,
      node: replica.node,
      address: `${replica.host}:${replica.port}`,
      health: 'starting',
      lagMs: null,
      position: null,
      probedAt: null,
      error: null,
    }));
  }

  /** Probes once (so that reads can use replicas from the first request on), then every interval. */
  async start(): Promise<void> {
    await this.probe();
    if (this.stopped) return;
    this.timer = setInterval(() => {
      if (!this.running) void this.probe();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    for (const connection of this.connections.values()) connection.destroy();
    this.connections.clear();
  }

  /** Every replica, in configuration order. */
  replicas(): readonly ReplicaState[] {
    return this.states;
  }

  /**
   * The replicas reads may use now: healthy at a probe no older than two intervals and a probe timeout (a hung
   * probe does not keep one in). So a replica in rotation has applied everything committed more than the max lag
   * plus four intervals ago: the lag estimate is short by at most one interval, the probe is at most three old.
   */
  inRotation(): ReplicaState[] {
    const oldest = this.now() - 2 * this.options.intervalMs - this.probeTimeoutMs;
    return this.states.filter((state) => state.health === 'in' && state.probedAt !== null && state.probedAt >= oldest);
  }

  /** A read on this replica failed for want of the server: out of rotation until a probe finds it healthy. */
  markDown(server: ServerName, error: unknown): void {
    const state = this.states.find((candidate) => candidate.server === server);
    if (!state || state.health === 'down') return;
    this.transition(state, 'down', messageOf(error));
  }

  /** One round: the primary's position, then every replica's, in parallel. */
  probe(): Promise<void> {
    this.running ??= this.probeAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async probeAll(): Promise<void> {
    const { dialect } = this.options;
    try {
      const primary = dialect.parse(await this.ask('primary', this.options.primary, dialect.primaryPositionSql));
      this.addSample(primary.rank);
    } catch {
      // The primary is down: replicas are judged against what it had before (reads may go on from them).
    }
    await Promise.all(
      this.options.replicas.map(async (replica, index) => {
        const state = this.states[index];
        try {
          const position = dialect.parse(await this.ask(replica.server, replica, dialect.replicaPositionSql));
          state.position = position;
          state.probedAt = this.now();
          state.lagMs = this.lagOf(position.rank);
          this.transition(state, state.lagMs <= this.options.maxLagMs ? 'in' : 'lagging', null);
        } catch (error) {
          this.transition(state, 'down', messageOf(error));
        }
      }),
    );
  }

  private addSample(rank: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.rank >= rank) return;
    // The first position's age is unknown (it may be hours old): a replica behind it counts as too far behind.
    this.samples.push({ rank, at: last ? this.now() : Number.NEGATIVE_INFINITY });
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(1, 1);
  }

  /** The age of the oldest primary position the replica lacks; 0 when it lacks none. */
  private lagOf(rank: number): number {
    const missing = this.samples.find((sample) => sample.rank > rank);
    return missing ? Math.max(0, this.now() - missing.at) : 0;
  }

  private transition(state: ReplicaState, health: ReplicaHealth, error: string | null): void {
    const before = state.health;
    state.health = health;
    state.error = error;
    if (before === health || this.stopped) return;
    const fields = { replica: state.server, address: state.address, lagMs: state.lagMs, error: error ?? undefined };
    if (health === 'in') this.options.logger.info(fields, 'replica in rotation for reads');
    else if (before === 'in' || before === 'starting')
      this.options.logger.warn(
        fields,
        health === 'down' ? 'replica down: its reads go elsewhere' : 'replica lagging: its reads go elsewhere',
      );
  }

  /** One variable's value from a server (a `SHOW GLOBAL VARIABLES`), on the monitor's own connection to it (opened again after any failure). */
  private ask(key: string, server: MonitoredServer, sql: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let connection = this.connections.get(key);
      if (!connection) {
        connection = mysql.createConnection({
          host: server.host,
          port: server.port,
          user: server.user,
          password: server.password,
          connectTimeout: this.probeTimeoutMs,
        });
        // A server that goes away errors the idle connection: drop it, the next probe opens another.
        connection.on('error', () => this.forget(key));
        this.connections.set(key, connection);
      }
      const current = connection;
      current.query({ sql, timeout: this.probeTimeoutMs }, (error: Error | null, rows: unknown) => {
        if (error) {
          this.forget(key);
          reject(error);
          return;
        }
        const row = (rows as Record<string, unknown>[])[0];
        resolve(String(row?.Value ?? ''));
      });
    });
  }

  private forget(key: string): void {
    this.connections.get(key)?.destroy();
    this.connections.delete(key);
  }
}

function messageOf(error: unknown): string {
  const driverError = (error as { driverError?: unknown })?.driverError ?? error;
  const { code, message } = (driverError ?? {}) as { code?: string; message?: string };
  return [code, message].filter(Boolean).join(': ') || String(error);
}
