/**
 * GTIDs in the two dialects the project runs on. They differ in everything but the idea:
 *
 * - MariaDB: a position is a list of `domain-server-seq` (`0-1-4711,1-2-17`); the primary's is
 *   `gtid_binlog_pos`, a replica's `gtid_slave_pos`, and `MASTER_GTID_WAIT(pos, s)` waits on a
 *   replica until it has applied that position (0: reached, -1: timed out).
 * - MySQL: a position is a GTID set (`uuid:1-4711[:tag:…],uuid2:1-17`); primary and replica both report
 *   `gtid_executed`, and `WAIT_FOR_EXECUTED_GTID_SET(set, s)` waits until the replica has executed the
 *   whole set (0: reached, 1: timed out).
 *
 * A position taken on the primary after a commit covers that commit (and everything before it), so a replica
 * that reached it shows the commit. The rank of a position, the number of transactions it holds, only grows on
 * one primary: it picks the later of two positions and estimates lag; correctness never rests on it (the wait
 * functions decide exactly).
 */
export type GtidFlavor = 'mariadb' | 'mysql';

export interface GtidPosition {
  /** The text the server gave, passed back verbatim to the wait function. */
  text: string;
  /** Transactions the position holds (sum of sequence numbers, or of interval lengths). */
  rank: number;
}

export interface GtidDialect {
  flavor: GtidFlavor;
  /**
   * Reads the primary's position: one row, its `Value`. A `SHOW`, not a `SELECT`: it is no new work a request
   * deadline could refuse after a write committed, and the server's `Com_select` counts application reads only.
   */
  primaryPositionSql: string;
  /** Reads a replica's applied position (one row, its `Value`). */
  replicaPositionSql: string;
  /** Waits up to `timeoutMs` on a replica for `position`; one row, column `waited`. */
  waitSql(position: string, timeoutMs: number): { sql: string; params: unknown[] };
  /** Whether the wait's result means the position was reached. */
  reached(waited: unknown): boolean;
  /** Parses a position the server reported. */
  parse(text: string): GtidPosition;
}

/** Seconds with millisecond precision; never 0 (MySQL reads 0 as "no timeout"). */
function seconds(timeoutMs: number): number {
  return Math.max(1, Math.round(timeoutMs)) / 1000;
}

/** `0-1-4711,1-2-17` → rank 4728. */
export function parseMariadbPosition(text: string): GtidPosition {
  const trimmed = text.trim();
  let rank = 0;
  for (const part of trimmed.split(',')) {
    if (part.trim() === '') continue;
    const match = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(part);
    if (!match) throw new Error(`not a MariaDB GTID position: '${text}'`);
    rank += Number(match[3]);
  }
  return { text: trimmed, rank };
}

/** `3E11FA47-…:1-5:7,…` (MySQL 8.4 may add `:tag:` parts) → rank = transactions in the set. */
export function parseMysqlGtidSet(text: string): GtidPosition {
  const trimmed = text.replace(/\s+/g, '');
  let rank = 0;
  for (const member of trimmed.split(',')) {
    if (member === '') continue;
    const [uuid, ...rest] = member.split(':');
    if (!/^[0-9a-fA-F-]{32,36}$/.test(uuid ?? '')) throw new Error(`not a MySQL GTID set: '${text}'`);
    for (const part of rest) {
      if (/^[a-z_][a-z0-9_]{0,31}$/i.test(part)) continue;
      const interval = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!interval) throw new Error(`not a MySQL GTID set: '${text}'`);
      rank += (interval[2] === undefined ? 1 : Number(interval[2]) - Number(interval[1]) + 1) || 0;
    }
  }
  return { text: trimmed, rank };
}

const MARIADB: GtidDialect = {
  flavor: 'mariadb',
  primaryPositionSql: "SHOW GLOBAL VARIABLES LIKE 'gtid_binlog_pos'",
  replicaPositionSql: "SHOW GLOBAL VARIABLES LIKE 'gtid_slave_pos'",
  waitSql: (position, timeoutMs) => ({ sql: 'SELECT MASTER_GTID_WAIT(?, ?) AS waited', params: [position, seconds(timeoutMs)] }),
  reached: (waited) => waited !== null && Number(waited) === 0,
  parse: parseMariadbPosition,
};

const MYSQL: GtidDialect = {
  flavor: 'mysql',
  primaryPositionSql: "SHOW GLOBAL VARIABLES LIKE 'gtid_executed'",
  replicaPositionSql: "SHOW GLOBAL VARIABLES LIKE 'gtid_executed'",
  waitSql: (position, timeoutMs) => ({ sql: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS waited', params: [position, seconds(timeoutMs)] }),
  reached: (waited) => waited !== null && Number(waited) === 0,
  parse: parseMysqlGtidSet,
};

/** The dialect of a server, from `SELECT VERSION()` (`10.11.19-MariaDB-…` or `8.4.3`). */
export function gtidDialect(serverVersion: string): GtidDialect {
  return /mariadb/i.test(serverVersion) ? MARIADB : MYSQL;
}
