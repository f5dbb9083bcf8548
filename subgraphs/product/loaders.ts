import DataLoader from 'dataloader';
import { type DataSource, type EntityManager, In } from 'typeorm';
import { createPageLoader, type PageKey, readWith } from '../../shared';
import { tracedBatch } from '../../shared/telemetry';
import { Category } from './entities/Category';
import { Product } from './entities/Product';

/** Upper bound of ids in one `IN (...)` list. */
export const MAX_BATCH_SIZE = 500;

export interface ProductLoaders {
  productById: DataLoader<number, Product | null>;
  productBySku: DataLoader<string, Product | null>;
  categoryById: DataLoader<number, Category | null>;
  productsByCategory: DataLoader<PageKey, Product[], string>;
}

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

/** Made per request, in the context factory. */
export function createLoaders(dataSource: DataSource): ProductLoaders {
  const products = dataSource.getRepository(Product);
  const options = { maxBatchSize: MAX_BATCH_SIZE };
  // Replica reads keep the caller's own writes (a price change, stock taken by their order) visible: see readWith.
  const onReplica = <T>(work: (manager: EntityManager) => Promise<T>) => readWith(dataSource, 'replica', work);
  return {
    productById: new DataLoader(
      tracedBatch('Product.id', async (ids: readonly number[]) =>
        byKey(ids, await onReplica((m) => m.findBy(Product, { id: In([...ids]) })), (p) => p.id),
      ),
      options,
    ),
    productBySku: new DataLoader(
      tracedBatch('Product.sku', async (skus: readonly string[]) =>
        byKey(skus, await onReplica((m) => m.findBy(Product, { sku: In([...skus]) })), (p) => p.sku),
      ),
      options,
    ),
    categoryById: new DataLoader(
      tracedBatch('Category.id', async (ids: readonly number[]) =>
        byKey(ids, await onReplica((m) => m.findBy(Category, { id: In([...ids]) })), (c) => c.id),
      ),
      options,
    ),
    productsByCategory: createPageLoader(products, {
      parentProperty: 'categoryId',
      order: 'ASC',
      maxBatchSize: MAX_BATCH_SIZE,
      read: 'replica',
    }),
  };
}
