import { Column, Entity, Index, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { Product } from './Product';
import { ProductRelation } from './relations';

/** A group of products shown together in the catalog. */
@Entity({ name: 'category' })
@Index('UQ_category_slug', ['slug'], { unique: true })
export class Category {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 100 })
  slug: string;

  @OneToMany(ProductRelation, (product: Product) => product.category)
  products: Product[];
}
