import DataLoader from 'dataloader';
import { In, type ObjectLiteral, type Repository } from 'typeorm';
import type { PageRequest } from '../pagination';
import { tracedBatch } from '../telemetry/tracedBatch';
import { pagesByParent } from './pagesByParent';
import { type ReadMode, readWith } from './ReplicaReads';

/**
 * The DataLoaders the subgraphs build per request: one entity by a unique key (`createKeyLoader`), all children
 * of each parent (`createChildrenLoader`), one page of children per parent (`createPageLoader`). Each batch is
 * one statement, answered in key order.
 */

/** Most keys in one batch, so in one `IN (...)` list, for every loader of every subgraph. */
export const MAX_BATCH_SIZE = 500;

export interface BatchOptions {
  /** Most keys in one batch (one statement each); more keys in one tick make more batches. Default `MAX_BATCH_SIZE`. */
  maxBatchSize?: number;
  /** `replica` lets a read replica answer the batch (see `readWith`). Default `primary`. */
  read?: ReadMode;
}

/** The entity a loader reads, for its span's name (`Order`; a stand-in repository may have no metadata). */
function entityName(repository: { metadata?: { name?: string } }): string {
  return repository.metadata?.name ?? 'Entity';
}

/**
 * A DataLoader of one entity by a unique column (`id`, `sku`): one `WHERE key IN (...)` statement per batch,
 * answered in key order, `null` for a key no row has.
 */
export function createKeyLoader<T extends ObjectLiteral, P extends keyof T & string>(
  repository: Repository<T>,
  options: { key: P } & BatchOptions,
): DataLoader<T[P], T | null> {
  return new DataLoader<T[P], T | null>(
    tracedBatch(`${entityName(repository)}.${options.key}`, async (keys: readonly T[P][]) => {
      const rows = await readWith(repository.manager.connection, options.read ?? 'primary', (manager) =>
        manager.getRepository(repository.target).findBy({ [options.key]: In([...keys]) } as never),
      );
      const byKey = new Map(rows.map((row) => [row[options.key], row]));
      return keys.map((key) => byKey.get(key) ?? null);
    }),
    { maxBatchSize: options.maxBatchSize ?? MAX_BATCH_SIZE },
  );
}

/**
 * A DataLoader of all children per parent id (`Order.items`, `User.addresses`), in `order` of id: one
 * `WHERE parent IN (...)` statement per batch, `[]` for a parent without children.
 */
export function createChildrenLoader<T extends ObjectLiteral>(
  repository: Repository<T>,
  options: { parentProperty: keyof T & string } & BatchOptions,
): DataLoader<number, T[]> {
  return new DataLoader<number, T[]>(
    tracedBatch(`${entityName(repository)}.${options.parentProperty}`, async (parentIds: readonly number[]) => {
      const byParent = new Map<number, T[]>(parentIds.map((id) => [id, []]));
      const children = await readWith(repository.manager.connection, options.read ?? 'primary', (manager) =>
        manager.getRepository(repository.target).find({
          where: { [options.parentProperty]: In([...parentIds]) } as never,
          order: { id: 'ASC' } as never,
        }),
      );
      for (const child of children) byParent.get(Number(child[options.parentProperty]))?.push(child);
      return parentIds.map((id) => byParent.get(id) ?? []);
    }),
    { maxBatchSize: options.maxBatchSize ?? MAX_BATCH_SIZE },
  );
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
  options: { parentProperty: keyof T & string; order: 'ASC' | 'DESC' } & BatchOptions,
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
    { maxBatchSize: options.maxBatchSize ?? MAX_BATCH_SIZE, cacheKeyFn: (key) => `${key.parentId}:${key.page.first}:${key.page.afterId}` },
  );
}
