import { CheckoutIntent } from './entities/CheckoutIntent';
import { Order } from './entities/Order';
import { OrderItem } from './entities/OrderItem';
import { orderMigrations } from './migrations';

/** The order subgraph's entities and migrations, for `openDataSource` and the migration tooling. */
export const orderDatabase = { entities: [Order, OrderItem, CheckoutIntent], migrations: orderMigrations };
