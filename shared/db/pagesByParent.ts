import DataLoader from 'dataloader';
import { In, type ObjectLiteral, type Repository } from 'typeorm';
import type { PageRequest } from '../pagination';
import { tracedBatch } from '../telemetry/tracedBatch';
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

/** The entity a loader reads, for its span's name (`Order`; a stand-in repository may have no metadata). */
function entityName(repository: { metadata?: { name?: string } }): string {
  return repository.metadata?.name ?? 'Entity';
}

/** A key of a page loader: whose children, and which page of them. */
export interface PageKey {
  parentId: number;
  page: PageRequest;
}

/**
 * A DataLoader of one page of children per parent (`User.orders`, `Category.products`). Keys that ask
 * for the same page size and cursor share one `pagesByParent` statement; in practice a request asks
 * every parent for the same page, so a level of the query plan costs one statement.
 */
export function createPageLoader<T extends ObjectLiteral>(
  repository: Repository<T>,
  options: { parentProperty: keyof T & string; order: 'ASC' | 'DESC'; maxBatchSize: number; read?: ReadMode },
): DataLoader<PageKey, T[], string> {
  return new DataLoader<PageKey, T[], string>(
    tracedBatch(`${entityName(repository)}.${options.parentProperty}.page`, async (keys: readonly PageKey[]) => {
      const groups = new Map<string, { page: PageRequest; parentIds: number[] }>();
      for (const key of keys) {
        const groupKey = `${key.page.first}:${key.page.afterId}`;
        const group = groups.get(groupKey) ?? { page: key.page, parentIds: [] };
        group.parentIds.push(key.parentId);
        groups.set(groupKey, group);
      }
      const results = new Map<string, T[]>();
      for (const [groupKey, group] of groups) {
        const pages = await pagesByParent(repository, { ...options, parentIds: group.parentIds, page: group.page });
        for (const [parentId, rows] of pages) results.set(`${parentId}:${groupKey}`, rows);
      }
      return keys.map((key) => results.get(`${key.parentId}:${key.page.first}:${key.page.afterId}`) ?? []);
    }),
    { maxBatchSize: options.maxBatchSize, cacheKeyFn: (key) => `${key.parentId}:${key.page.first}:${key.page.afterId}` },
  );
}

/**
 * A DataLoader of all children per parent id (`Order.items`, `User.addresses`), in `order` of id: one
 * `WHERE parent IN (...)` statement per batch, `[]` for a parent without children.
 */
export function createChildrenLoader<T extends ObjectLiteral>(
  repository: Repository<T>,
  options: { parentProperty: keyof T & string; maxBatchSize: number; read?: ReadMode },
): DataLoader<number, T[]> {
  return new DataLoader<number, T[]>(
    tracedBatch(`${entityName(repository)}.${options.parentProperty}`, async (parentIds: readonly number[]) => {
      const byParent = new Map<number, T[]>(parentIds.map((id) => [id, []]));
      const children = await readWith(repository.manager.connection, options.read ?? 'primary', (manager) =>
        manager.find(repository.target, {
          where: { [options.parentProperty]: In([...parentIds]) } as never,
          order: { id: 'ASC' } as never,
        }),
      );
      for (const child of children) byParent.get(Number(child[options.parentProperty]))?.push(child);
      return parentIds.map((id) => byParent.get(id) ?? []);
    }),
    { maxBatchSize: options.maxBatchSize },
  );
}
