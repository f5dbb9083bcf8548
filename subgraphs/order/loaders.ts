import DataLoader from 'dataloader';
import { type DataSource, In } from 'typeorm';
import { createChildrenLoader, createPageLoader, type PageKey } from '../../shared';
import { tracedBatch } from '../../shared/telemetry';
import { Order } from './entities/Order';
import { OrderItem } from './entities/OrderItem';

/** Upper bound of ids in one `IN (...)` list. */
export const MAX_BATCH_SIZE = 500;

export interface OrderLoaders {
  orderById: DataLoader<number, Order | null>;
  itemsByOrderId: DataLoader<number, OrderItem[]>;
  ordersByUser: DataLoader<PageKey, Order[], string>;
}

/** Made per request, in the context factory. */
export function createLoaders(dataSource: DataSource): OrderLoaders {
  const orders = dataSource.getRepository(Order);
  const items = dataSource.getRepository(OrderItem);
  return {
    orderById: new DataLoader(
      tracedBatch('Order.id', async (ids: readonly number[]) => {
        const found = new Map((await orders.findBy({ id: In([...ids]) })).map((order) => [order.id, order]));
        return ids.map((id) => found.get(id) ?? null);
      }),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
    itemsByOrderId: createChildrenLoader(items, { parentProperty: 'orderId', maxBatchSize: MAX_BATCH_SIZE }),
    ordersByUser: createPageLoader(orders, { parentProperty: 'userId', order: 'DESC', maxBatchSize: MAX_BATCH_SIZE }),
  };
}
