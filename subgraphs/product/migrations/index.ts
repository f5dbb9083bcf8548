import { InitialSchema1795818605656 } from './InitialSchema1795818605656';
/** Applied in this order; never edit one that has been released, add a new one (npm run migration:generate). */
export const productMigrations: (new () => import('typeorm').MigrationInterface)[] = [InitialSchema1795818605656];
