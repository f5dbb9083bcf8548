import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../../../shared';

/**
 * Where a checkout is between the two databases it touches:
 * - `pending`: written before stock is reserved; the reservation may or may not exist;
 * - `stored`: the order is stored (same transaction as this change); the reservation is not yet confirmed;
 * - `confirmed`: done on both sides;
 * - `abandoning` / `abandoned`: the checkout did not finish in time; its stock is being / has been given back.
 *
 * A checkout that crashed between the steps leaves `pending` or `stored` behind, and the sweeper finishes
 * it: stale `pending` ones are abandoned (stock released), `stored` ones confirmed.
 */
export type CheckoutStatus = 'pending' | 'stored' | 'confirmed' | 'abandoning' | 'abandoned';

@Entity({ name: 'checkout_intent' })
@Index('UQ_checkout_intent_key', ['reservationKey'], { unique: true })
@Index('IDX_checkout_intent_status', ['status', 'updatedAt'])
export class CheckoutIntent {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ name: 'reservation_key', type: 'varchar', length: 64 })
  reservationKey: string;

  @Column({ name: 'user_id', type: 'int' })
  userId: number;

  /** SHA-256 of the requested lines: the same key with other lines is a conflict, not a retry. */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash: string;

  @Column({ type: 'varchar', length: 16 })
  status: CheckoutStatus;

  @timestampColumn({ name: 'created_at' })
  createdAt: Date;

  @timestampColumn({ name: 'updated_at' })
  updatedAt: Date;
}
