import type { DataSource } from 'typeorm';
import { forEachConnection, type MysqlConnection, mysqlPools, PRIMARY, type ServerName } from './mysqlPools';

const counted = Symbol('statementCounter');
const byDataSource = new WeakMap<DataSource, StatementCounter>();

/**
 * Counts every SQL statement a DataSource sends, at the driver (mysql2 connections, better-sqlite3
 * statements), so transaction statements and TypeORM's own queries count too. Tests and benchmarks
 * read `count` before and after an operation, or `byServer` with read replicas (`primary`, `replica1`…);
 * listeners see each statement and the server it goes to (for metrics and read-your-writes).
 */
export class StatementCounter {
  count = 0;
  /** Statements per server: the primary (SQLite: its file) and each replica. */
  readonly byServer: Record<ServerName, number> = {};
  private readonly listeners: ((sql: string, server: ServerName) => void)[] = [];
  private guard: ((sql: string) => void) | null = null;

  /** Runs before every statement is sent; throwing refuses the statement (request deadlines use it). */
  setGuard(guard: (sql: string) => void): this {
    this.guard = guard;
    return this;
  }

  /** Adds a listener; returns the function that removes it. */
  onStatement(listener: (sql: string, server: ServerName) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index !== -1) this.listeners.splice(index, 1);
    };
  }

  record(sql: string, server: ServerName = PRIMARY): void {
    this.guard?.(sql);
    this.count += 1;
    this.byServer[server] = (this.byServer[server] ?? 0) + 1;
    for (const listener of this.listeners) listener(sql, server);
  }

  /** The counter attached to a DataSource, if any (for metrics). */
  static of(dataSource: DataSource): StatementCounter | undefined {
    return byDataSource.get(dataSource);
  }

  /** Hooks the DataSource's driver. Call once, right after `initialize()`. */
  attach(dataSource: DataSource): this {
    byDataSource.set(dataSource, this);
    const driver = dataSource.driver as unknown as Record<string, unknown>;
    if (dataSource.options.type === 'mysql') {
      // Without replicas one pool; with them, one per server of TypeORM's pool cluster.
      for (const { server, pool } of mysqlPools(dataSource))
        forEachConnection(pool, (connection) => this.wrapConnection(connection, server));
    } else if (dataSource.options.type === 'better-sqlite3') {
      this.attachSqlite(driver.databaseConnection as SqliteDatabase);
    } else {
      throw new Error(`StatementCounter does not know driver ${dataSource.options.type}`);
    }
    return this;
  }

  private wrapConnection(connection: CountedConnection, server: ServerName): void {
    if (connection[counted]) return;
    connection[counted] = true;
    for (const method of ['query', 'execute'] as const) {
      const original = connection[method].bind(connection) as AnyFunction;
      connection[method] = (sql: unknown, ...rest: unknown[]) => {
        this.record(typeof sql === 'string' ? sql : String((sql as { sql?: string }).sql), server);
        return original(sql, ...rest);
      };
    }
  }

  private attachSqlite(database: SqliteDatabase): void {
    const prepare = database.prepare.bind(database);
    database.prepare = (sql: string) => {
      const statement = prepare(sql);
      for (const method of ['run', 'all', 'get', 'iterate'] as const) {
        const original = statement[method].bind(statement);
        statement[method] = (...args: unknown[]) => {
          this.record(sql);
          return original(...args);
        };
      }
      return statement;
    };
    const exec = database.exec.bind(database);
    database.exec = (sql: string) => {
      this.record(sql);
      return exec(sql);
    };
  }
}

type AnyFunction = (...args: any[]) => any;
type CountedConnection = MysqlConnection & { [counted]?: boolean };
interface SqliteStatement {
  run: AnyFunction;
  all: AnyFunction;
  get: AnyFunction;
  iterate: AnyFunction;
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
}
