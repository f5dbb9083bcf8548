import type { Order } from './Order';
import type { OrderItem } from './OrderItem';

/** Relation thunks, so that entity files can refer to each other without an import cycle at load time. */
export const OrderRelation = (): typeof Order => require('./Order').Order;
export const OrderItemRelation = (): typeof OrderItem => require('./OrderItem').OrderItem;
