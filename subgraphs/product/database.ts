import { Category } from './entities/Category';
import { Product } from './entities/Product';
import { StockReservation } from './entities/StockReservation';
import { productMigrations } from './migrations';

/** The product subgraph's entities and migrations, for `openDataSource` and the migration tooling. */
export const productDatabase = { entities: [Category, Product, StockReservation], migrations: productMigrations };
