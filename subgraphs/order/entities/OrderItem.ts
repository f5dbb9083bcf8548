import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Order } from './Order';
import { OrderRelation } from './relations';

/** One line of an order: a product (product subgraph's id), how many, and the unit price when ordered. */
@Entity({ name: 'order_item' })
@Index('IDX_order_item_order', ['orderId'])
export class OrderItem {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ name: 'order_id', type: 'int' })
  orderId: number;

  @ManyToOne(OrderRelation, (order: Order) => order.items, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id', foreignKeyConstraintName: 'FK_order_item_order' })
  order: Order;

  @Column({ name: 'product_id', type: 'int' })
  productId: number;

  @Column({ type: 'int' })
  quantity: number;

  /** Price snapshot in minor units: what the customer paid, whatever the product costs today. */
  @Column({ name: 'unit_price_cents', type: 'int' })
  unitPriceCents: number;

  @Column({ type: 'varchar', length: 3 })
  currency: string;
}
