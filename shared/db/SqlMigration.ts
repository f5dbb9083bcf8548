import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { DriverKind } from './portableColumn';

/** The statements of one migration step, per driver (DDL differs between MySQL and SQLite). */
export type StatementsByDriver = Record<DriverKind, string[]>;

/**
 * A migration written as SQL per driver, the way `npm run migration:generate` writes it from the
 * entities. Migrations only expand or contract compatibly: add a column or table first, deploy code
 * that writes both, and drop the old one in a later release.
 */
export function sqlMigration(name: string, up: StatementsByDriver, down: StatementsByDriver): new () => MigrationInterface {
  const driverOf = (queryRunner: QueryRunner): DriverKind => (queryRunner.connection.options.type === 'mysql' ? 'mysql' : 'sqlite');
  const Migration = class implements MigrationInterface {
    name = name;
    async up(queryRunner: QueryRunner): Promise<void> {
      for (const statement of up[driverOf(queryRunner)]) await queryRunner.query(statement);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      for (const statement of down[driverOf(queryRunner)]) await queryRunner.query(statement);
    }
  };
  Object.defineProperty(Migration, 'name', { value: name });
  return Migration;
}
