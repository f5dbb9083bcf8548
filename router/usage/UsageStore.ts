import path from 'node:path';
import type { DataSource } from 'typeorm';
import {
  type DatabaseConfig,
  DEFAULT_DATA_DIR,
  type Env,
  openDataSource,
  parseMysqlUrl,
  readOptionalString,
  readString,
} from '../../shared';
import { routerDatabase } from './database';

/** One counter row: a client's operation used a coordinate this many times on a day. */
export interface UsageRow {
  day: string;
  client: string;
  operation: string;
  coordinate: string;
  count: number;
}

/** Who used a coordinate recently. */
export interface CoordinateUse {
  coordinate: string;
  operations: string[];
  clients: string[];
  count: number;
}

/** How much traffic a window of the store holds: what a usage-based check can judge from. */
export interface UsageTraffic {
  /** Requests recorded in the window (each request counts its root type, `Query` or `Mutation`, once). */
  requests: number;
  /** Days of the window with at least one request recorded. */
  days: number;
  /** Distinct clients (`name@version`, or `unknown`) among them. */
  clients: number;
}

/**
 * Where the router's usage store lives: `ROUTER_DATABASE_URL`, else the `router` database on the
 * `DATABASE_URL` server, else the embedded `.data/router.sqlite` (under `DATA_DIR`).
 */
export function readUsageDatabaseConfig(env: Env): DatabaseConfig {
  const prefix = readString(env, 'DATABASE_NAME_PREFIX', '');
  const own = readOptionalString(env, 'ROUTER_DATABASE_URL');
  const url = own ?? readOptionalString(env, 'DATABASE_URL');
  if (url === undefined)
    return { kind: 'sqlite', file: path.resolve(readString(env, 'DATA_DIR', DEFAULT_DATA_DIR), `${prefix}router.sqlite`) };
  return parseMysqlUrl(url, own !== undefined ? 'ROUTER_DATABASE_URL' : 'DATABASE_URL', `${prefix}router`, 2);
}

/** The router's record of which schema coordinates operations use, per day and client. */
export class UsageStore {
  private constructor(private readonly dataSource: DataSource) {}

  static async open(config: DatabaseConfig): Promise<UsageStore> {
    const { dataSource } = await openDataSource(config, routerDatabase);
    return new UsageStore(dataSource);
  }

  /** Adds counts, one statement per batch (an upsert in each dialect). */
  async add(rows: readonly UsageRow[]): Promise<void> {
    const mysql = this.dataSource.options.type === 'mysql';
    for (let start = 0; start < rows.length; start += 500) {
      const batch = rows.slice(start, start + 500);
      const values = batch.map(() => '(?, ?, ?, ?, ?)').join(', ');
      const parameters = batch.flatMap((row) => [
        row.day,
        row.client.slice(0, 100),
        row.operation.slice(0, 150),
        row.coordinate.slice(0, 250),
        row.count,
      ]);
      const sql = mysql
        ? `INSERT INTO coordinate_usage (day, client, operation, coordinate, count) VALUES ${values} ON DUPLICATE KEY UPDATE count = count + VALUES(count)`
        : `INSERT INTO coordinate_usage (day, client, operation, coordinate, count) VALUES ${values} ON CONFLICT (day, client, operation, coordinate) DO UPDATE SET count = count + excluded.count`;
      await this.dataSource.query(sql, parameters);
    }
  }

  /** Uses of `coordinates` (exact, or every field of a type given as `Type.`) since `days` days ago. */
  async usesOf(coordinates: readonly string[], days: number, today = new Date()): Promise<CoordinateUse[]> {
    if (coordinates.length === 0) return [];
    const since = new Date(today.getTime() - days * 86_400_000).toISOString().slice(0, 10);
    const conditions = coordinates.map((c) => (c.endsWith('.') ? 'coordinate LIKE ?' : 'coordinate = ?')).join(' OR ');
    const rows: UsageRow[] = await this.dataSource.query(
      `SELECT day, client, operation, coordinate, count FROM coordinate_usage WHERE day >= ? AND (${conditions})`,
      [since, ...coordinates.map((c) => (c.endsWith('.') ? `${c}%` : c))],
    );
    return coordinates.flatMap((coordinate) => {
      const matching = rows.filter((row) =>
        coordinate.endsWith('.') ? row.coordinate.startsWith(coordinate) : row.coordinate === coordinate,
      );
      if (matching.length === 0) return [];
      return [
        {
          coordinate,
          operations: [...new Set(matching.map((row) => row.operation))].sort(),
          clients: [...new Set(matching.map((row) => row.client))].sort(),
          count: matching.reduce((sum, row) => sum + Number(row.count), 0),
        },
      ];
    });
  }

  /**
   * The requests, days and clients recorded since `days` days ago: the rows of root types (the only
   * coordinates without a dot), one count per request.
   */
  async traffic(days: number, today = new Date()): Promise<UsageTraffic> {
    const since = new Date(today.getTime() - days * 86_400_000).toISOString().slice(0, 10);
    const [row] = await this.dataSource.query(
      `SELECT COALESCE(SUM(count), 0) AS requests, COUNT(DISTINCT day) AS days, COUNT(DISTINCT client) AS clients FROM coordinate_usage WHERE day >= ? AND coordinate NOT LIKE '%.%'`,
      [since],
    );
    return { requests: Number(row.requests), days: Number(row.days), clients: Number(row.clients) };
  }

  close(): Promise<void> {
    return this.dataSource.destroy();
  }
}
