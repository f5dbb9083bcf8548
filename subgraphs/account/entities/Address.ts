import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { User } from './User';

/** A postal address a user ships to. Only its owner can read it. */
@Entity({ name: 'address' })
@Index('IDX_address_user', ['userId', 'id'])
export class Address {
  @PrimaryGeneratedColumn({ type: 'int' })
  id: number;

  @Column({ name: 'user_id', type: 'int' })
  userId: number;

  @ManyToOne(() => require('./User').User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_address_user' })
  user: User;

  /** What the user calls it: "Home", "Work". */
  @Column({ type: 'varchar', length: 50 })
  label: string;

  @Column({ type: 'varchar', length: 200 })
  line1: string;

  /**
   * Empty when unused (the schema shows null). Not a NULL column: TypeORM reads a nullable column's default on
   * MariaDB as the string 'NULL' and would see a change that is not there, on every schema diff.
   */
  @Column({ type: 'varchar', length: 200 })
  line2: string;

  @Column({ type: 'varchar', length: 100 })
  city: string;

  @Column({ name: 'postal_code', type: 'varchar', length: 20 })
  postalCode: string;

  /** ISO 3166-1 alpha-2, e.g. `DE`. */
  @Column({ type: 'varchar', length: 2 })
  country: string;
}
