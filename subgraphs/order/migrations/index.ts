import { CheckoutIntents1795827378892 } from './CheckoutIntents1795827378892';
import { InitialSchema1795818606245 } from './InitialSchema1795818606245';
/** Applied in this order; never edit one that has been released, add a new one (npm run migration:generate). */
export const orderMigrations: (new () => import('typeorm').MigrationInterface)[] = [
  InitialSchema1795818606245,
  CheckoutIntents1795827378892,
];
