import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { type ReservedLine, timestampColumn } from '../../../shared';

export type ReservationStatus = 'reserved' | 'confirmed' | 'released';

/**
 * Stock taken for one order, keyed by the order's reservation key so that a retried call is answered
 * from here instead of taking stock twice. Released reservations have given their stock back.
 */
@Entity({ name: 'stock_reservation' })
@Index('UQ_stock_reservation_key', ['reservationKey'], { unique: true })
@Index('IDX_stock_reservation_status', ['status', 'createdAt'])
export class StockReservation {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ name: 'reservation_key', type: 'varchar', length: 64 })
  reservationKey: string;

  /** SHA-256 of the requested lines: the same key with other lines is a conflict, not a retry. */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash: string;

  @Column({ type: 'varchar', length: 16 })
  status: ReservationStatus;

  @Column({ type: 'simple-json' })
  lines: ReservedLine[];

  @timestampColumn({ name: 'created_at' })
  createdAt: Date;

  @timestampColumn({ name: 'updated_at' })
  updatedAt: Date;
}
