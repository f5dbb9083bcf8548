import { UsageStore1795823392684 } from './UsageStore1795823392684';
import { UsedDocuments1796060471087 } from './UsedDocuments1796060471087';
/** Applied in this order; never edit one that has been released, add a new one (npm run migration:generate). */
export const routerMigrations: (new () => import('typeorm').MigrationInterface)[] = [UsageStore1795823392684, UsedDocuments1796060471087];
