import { CoordinateUsage } from './CoordinateUsage';
import { routerMigrations } from './migrations';
import { UsedDocument } from './UsedDocument';

/** The router's own small database (usage of schema coordinates, and the most used documents), for `openDataSource` and the migration tooling. */
export const routerDatabase = { entities: [CoordinateUsage, UsedDocument], migrations: routerMigrations };
