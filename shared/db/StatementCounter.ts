import type { DataSource } from 'typeorm';

const counted = Symbol('statementCounter');
const byDataSource = new WeakMap<DataSource, StatementCounter>();

/**
 * Counts every SQL statement a DataSource sends, at the driver (mysql2 connections, better-sqlite3
 * statements), so transaction statements and TypeORM's own queries count too. Tests and benchmarks
 * read `count` before and after an operation; listeners see each statement (for metrics).
 */
export class StatementCounter {
  count = 0;
  private readonly listeners: ((sql: string) => void)[] = [];
  private guard: ((sql: string) => void) | null = null;

  /** Runs before every statement is sent; throwing refuses the statement (request deadlines use it). */
  setGuard(guard: (sql: string) => void): this {
    this.guard = guard;
    return this;
  }

  /** Adds a listener; returns the function that removes it. */
  onStatement(listener: (sql: string) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index !== -1) this.listeners.splice(index, 1);
    };
  }

  record(sql: string): void {
    this.guard?.(sql);
    this.count += 1;
    for (const listener of this.listeners) listener(sql);
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
      this.attachMysqlPool(driver.pool as MysqlPool);
    } else if (dataSource.options.type === 'better-sqlite3') {
      this.attachSqlite(driver.databaseConnection as SqliteDatabase);
    } else {
      throw new Error(`StatementCounter does not know driver ${dataSource.options.type}`);
    }
    return this;
  }

  private attachMysqlPool(pool: MysqlPool): void {
    const wrapConnection = (connection: MysqlConnection) => {
      if (connection[counted]) return;
      connection[counted] = true;
      for (const method of ['query', 'execute'] as const) {
        const original = connection[method].bind(connection);
        connection[method] = (sql: unknown, ...rest: unknown[]) => {
          this.record(typeof sql === 'string' ? sql : String((sql as { sql?: string }).sql));
          return original(sql, ...rest);
        };
      }
    };
    const existing = pool._allConnections;
    for (let i = 0; existing && i < existing.length; i++) wrapConnection(existing.get(i));
    pool.on('connection', wrapConnection);
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
interface MysqlConnection {
  [counted]?: boolean;
  query: AnyFunction;
  execute: AnyFunction;
}
interface MysqlPool {
  _allConnections?: { length: number; get(index: number): MysqlConnection };
  on(event: 'connection', listener: (connection: MysqlConnection) => void): void;
}
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
