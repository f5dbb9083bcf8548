import { CoordinateUsage } from './CoordinateUsage';
import { routerMigrations } from './migrations';

/** The router's own small database (usage of schema coordinates), for `openDataSource` and the migration tooling. */
export const routerDatabase = { entities: [CoordinateUsage], migrations: routerMigrations };
