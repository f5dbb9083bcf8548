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

/** Made per request, in the context factory. */
export function createLoaders(dataSource: DataSource): ProductLoaders {
  const products = dataSource.getRepository(Product);
  return {
    productById: createKeyLoader(products, { key: 'id' }),
    productBySku: createKeyLoader(products, { key: 'sku' }),
    categoryById: createKeyLoader(dataSource.getRepository(Category), { key: 'id' }),
    productsByCategory: createPageLoader(products, { parentProperty: 'categoryId', order: 'ASC' }),
  };
}
