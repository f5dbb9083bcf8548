import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * How often one operation of one client used one schema coordinate (`Type.field`, `Type.field(arg:)`,
 * `Enum.VALUE`, `Input.field`) on one day (UTC). What `npm run schema -- check` asks before calling a
 * breaking change harmless. The operation's root type (`Query`, `Mutation`: the only coordinates without a
 * dot) is counted too, once per request: the check's measure of how much traffic its window holds.
 */
@Entity({ name: 'coordinate_usage' })
@Index('IDX_coordinate_usage_coordinate', ['coordinate', 'day'])
export class CoordinateUsage {
  /** `YYYY-MM-DD`, UTC. */
  @PrimaryColumn({ type: 'varchar', length: 10 })
  day: string;

  /** `apollographql-client-name`/`-version`, or `unknown`. */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  client: string;

  /** The operation's name, or `(anonymous)`. */
  @PrimaryColumn({ type: 'varchar', length: 150 })
  operation: string;

  @PrimaryColumn({ type: 'varchar', length: 250 })
  coordinate: string;

  @Column({ type: 'int' })
  count: number;
}
