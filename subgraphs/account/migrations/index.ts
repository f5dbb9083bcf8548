import { AddAddresses1795820726547 } from './AddAddresses1795820726547';
import { InitialSchema1795818605035 } from './InitialSchema1795818605035';
/** Applied in this order; never edit one that has been released, add a new one (npm run migration:generate). */
export const accountMigrations: (new () => import('typeorm').MigrationInterface)[] = [
  InitialSchema1795818605035,
  AddAddresses1795820726547,
];
