import type DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { createKeyLoader, createPageLoader, type PageKey } from '../../shared';
import { Category } from './entities/Category';
import { Product } from './entities/Product';

export interface ProductLoaders {
  productById: DataLoader<number, Product | null>;
  productBySku: DataLoader<string, Product | null>;
  categoryById: DataLoader<number, Category | null>;
  productsByCategory: DataLoader<PageKey, Product[], string>;
}

/**
 * Made per request, in the context factory. They read replicas, which keep the caller's own writes (a price
 * change, stock taken by their order) visible: see `readWith`.
 */
export function createLoaders(dataSource: DataSource): ProductLoaders {
  const products = dataSource.getRepository(Product);
  return {
    productById: createKeyLoader(products, { key: 'id', read: 'replica' }),
    productBySku: createKeyLoader(products, { key: 'sku', read: 'replica' }),
    categoryById: createKeyLoader(dataSource.getRepository(Category), { key: 'id', read: 'replica' }),
    productsByCategory: createPageLoader(products, { parentProperty: 'categoryId', order: 'ASC', read: 'replica' }),
  };
}
