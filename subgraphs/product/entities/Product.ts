import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { exactTextColumn, timestampColumn } from '../../../shared';
import type { Category } from './Category';
import { CategoryRelation } from './relations';

/** Something we sell. Prices are integer minor units (cents) in `currency`, never floats. */
@Entity({ name: 'product' })
@Index('UQ_product_sku', ['sku'], { unique: true })
@Index('IDX_product_category', ['categoryId', 'id'])
export class Product {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ type: 'varchar', length: 64 })
  sku: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'text' })
  description: string;

  @Column({ name: 'price_cents', type: 'int' })
  priceCents: number;

  @Column({ type: 'varchar', length: 3 })
  currency: string;

  /** Units on hand; never negative (reservations decrement it under a row lock). */
  @Column({ type: 'int' })
  stock: number;

  @Column({ name: 'category_id', type: 'int' })
  categoryId: number;

  @ManyToOne(CategoryRelation, (category: Category) => category.products, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'category_id', foreignKeyConstraintName: 'FK_product_category' })
  category: Category;

  /**
   * Lower-cased name and sku, what `products(filter: { search })` matches against. Kept by
   * `searchTextOf` on every write, compared byte for byte so both databases match alike.
   */
  @exactTextColumn(300, { name: 'search_text' })
  searchText: string;

  @timestampColumn({ name: 'created_at' })
  createdAt: Date;
}

/** The text a product is searched by: see `Product.searchText`. */
export function searchTextOf(product: Pick<Product, 'name' | 'sku'>): string {
  return `${product.name} ${product.sku}`.toLowerCase().slice(0, 300);
}
