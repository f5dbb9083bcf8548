import { Column, type ColumnOptions } from 'typeorm';

export type DriverKind = 'mysql' | 'sqlite';

const variants = new Map<ColumnOptions, Partial<Record<DriverKind, ColumnOptions>>>();

/**
 * A column whose type differs by driver. TypeORM reads a column's options when a DataSource builds
 * its metadata, so `openDataSource` applies the variant for its driver just before that
 * (`applyColumnVariants`), and the entity class stays one plain decorated class for both databases.
 */
export function PortableColumn(common: ColumnOptions, perDriver: Partial<Record<DriverKind, ColumnOptions>>): PropertyDecorator {
  const options: ColumnOptions = { ...common };
  variants.set(options, { mysql: { ...common, ...perDriver.mysql }, sqlite: { ...common, ...perDriver.sqlite } });
  return Column(options);
}

/** Points every portable column at `driver`'s variant. Callers hold `withColumnVariants` while metadata is built. */
function applyColumnVariants(driver: DriverKind): void {
  for (const [options, byDriver] of variants) {
    for (const key of Object.keys(options) as (keyof ColumnOptions)[]) delete options[key];
    Object.assign(options, byDriver[driver]);
  }
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `build` (a DataSource's `initialize`) with the column variants of `driver` in place. Builds are
 * serialized, so a process that opens a SQLite and a MySQL DataSource at once still gets each right.
 */
export function withColumnVariants<T>(driver: DriverKind, build: () => Promise<T>): Promise<T> {
  const run = queue.then(() => {
    applyColumnVariants(driver);
    return build();
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Millisecond timestamps: `datetime(3)` on MySQL; SQLite stores the same type as text. */
export const timestampColumn = (options: ColumnOptions = {}): PropertyDecorator => Column({ type: 'datetime', precision: 3, ...options });

/**
 * Text that is compared byte for byte on every driver: MySQL's default collations fold case and accents,
 * SQLite's do not, so MySQL gets a binary collation and searches behave the same on both.
 */
export const exactTextColumn = (length: number, options: ColumnOptions = {}): PropertyDecorator =>
  PortableColumn({ type: 'varchar', length, ...options }, { mysql: { collation: 'utf8mb4_bin' } });
