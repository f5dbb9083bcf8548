import { Column, Entity, Index, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../../../shared';
import type { OrderItem } from './OrderItem';
import { OrderItemRelation } from './relations';

export type OrderStatus = 'PLACED';

/** A placed order. `totalCents` is the sum of its items' price snapshots, fixed when it was placed. */
@Entity({ name: 'orders' })
@Index('IDX_orders_user', ['userId', 'id'])
@Index('UQ_orders_reservation', ['reservationKey'], { unique: true })
export class Order {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  /** The customer (account subgraph's User id); no foreign key, it lives in another database. */
  @Column({ name: 'user_id', type: 'int' })
  userId: number;

  @Column({ type: 'varchar', length: 16 })
  status: OrderStatus;

  @Column({ name: 'total_cents', type: 'int' })
  totalCents: number;

  @Column({ type: 'varchar', length: 3 })
  currency: string;

  /** The product subgraph's stock reservation for this order. */
  @Column({ name: 'reservation_key', type: 'varchar', length: 64 })
  reservationKey: string;

  @timestampColumn({ name: 'created_at' })
  createdAt: Date;

  @OneToMany(OrderItemRelation, (item: OrderItem) => item.order)
  items: OrderItem[];
}
