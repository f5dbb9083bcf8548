import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One of the documents the routers ran most (the record plan warming reads at start-up): its text and the
 * operation name as clients sent it (the gateway's plan cache is keyed by both), how many times the routers
 * ran it, and when one last did. Bounded: every write keeps only the most used rows
 * (`UsageStore.addDocuments`), so the table never holds more than `WARM_MAX_DOCUMENTS` after a write.
 */
@Entity({ name: 'used_document' })
@Index('IDX_used_document_count', ['count'])
export class UsedDocument {
  /** SHA-256 (hex) of the operation name, a NUL and the document. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  /** The operation name the client sent, or null when it sent none. */
  @Column({ name: 'operation_name', type: 'varchar', length: 150, nullable: true })
  operationName: string | null;

  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'bigint' })
  count: number;

  /** Milliseconds since the epoch. */
  @Column({ name: 'last_seen', type: 'bigint' })
  lastSeen: number;
}
