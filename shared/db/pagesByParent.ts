import type { ObjectLiteral, Repository } from 'typeorm';
import type { PageRequest } from '../pagination';
import { type ReadMode, readWith } from './ReplicaReads';

/**
 * Turns raw rows (database column names) into entities, converting values the way the driver does
 * for its own queries (dates from SQLite text, for example).
 */
export function hydrateRows<T extends ObjectLiteral>(repository: Repository<T>, rows: Record<string, unknown>[]): T[] {
  const { metadata } = repository;
  const driver = repository.manager.connection.driver;
  return rows.map((row) => {
    const entity = repository.create();
    for (const column of metadata.columns) {
      // A relation without a column property of its own (`@ManyToOne` alone) has nowhere to go.
      if (column.isVirtual) continue;
      if (!(column.databaseName in row)) continue;
      (entity as Record<string, unknown>)[column.propertyName] = driver.prepareHydratedValue(row[column.databaseName], column);
    }
    return entity;
  });
}

/**
 * One page of children for each of many parents, in ONE statement: rows are numbered per parent with
 * `ROW_NUMBER()` (MySQL 8, MariaDB 10.2, SQLite 3.25) and cut at `first + 1` each, so the extra row tells
 * whether a next page exists. This is what keeps `User.orders` at one statement however many users a
 * request lists.
 */
export async function pagesByParent<T extends ObjectLiteral>(
  repository: Repository<T>,
  options: {
    parentProperty: keyof T & string;
    parentIds: readonly number[];
    page: PageRequest;
    order: 'ASC' | 'DESC';
    /** `replica` lets a read replica answer (see `readWith`). Default `primary`. */
    read?: ReadMode;
  },
): Promise<Map<number, T[]>> {
  const { metadata } = repository;
  const driver = repository.manager.connection.driver;
  const parentColumn = metadata.findColumnWithPropertyName(options.parentProperty);
  const idColumn = metadata.primaryColumns[0];
  if (!parentColumn || !idColumn) throw new Error(`${metadata.name} has no column ${options.parentProperty}`);
  const q = (name: string) => driver.escape(name);
  const parent = q(parentColumn.databaseName);
  const id = q(idColumn.databaseName);
  const columns = [...new Set(metadata.columns.map((column) => column.databaseName))].map((name) => `t.${q(name)}`).join(', ');
  const params: unknown[] = [...options.parentIds];
  let cursorCondition = '';
  if (options.page.afterId !== null) {
    cursorCondition = ` AND t.${id} ${options.order === 'DESC' ? '<' : '>'} ?`;
    params.push(options.page.afterId);
  }
  params.push(options.page.first + 1);
  const sql =
    `SELECT * FROM (SELECT ${columns}, ROW_NUMBER() OVER (PARTITION BY t.${parent} ORDER BY t.${id} ${options.order}) AS row_number_in_parent` +
    ` FROM ${q(metadata.tableName)} t WHERE t.${parent} IN (${options.parentIds.map(() => '?').join(', ')})${cursorCondition}) ranked` +
    ` WHERE row_number_in_parent <= ? ORDER BY ${parent}, row_number_in_parent`;
  const result = new Map<number, T[]>(options.parentIds.map((parentId) => [parentId, []]));
  if (options.parentIds.length === 0) return result;
  const rows: Record<string, unknown>[] = await readWith(repository.manager.connection, options.read ?? 'primary', (manager) =>
    manager.query(sql, params),
  );
  for (const entity of hydrateRows(repository, rows)) {
    result.get(Number(entity[options.parentProperty]))?.push(entity);
  }
  return result;
}
