import { UsageStore1795823392684 } from './UsageStore1795823392684';
/** Applied in this order; never edit one that has been released, add a new one (npm run migration:generate). */
export const routerMigrations: (new () => import('typeorm').MigrationInterface)[] = [UsageStore1795823392684];
