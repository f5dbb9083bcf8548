import DataLoader from 'dataloader';
import { type DataSource, In } from 'typeorm';
import { createChildrenLoader, createPageLoader, type PageKey, readWith } from '../../shared';
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

/** Made per request, in the context factory. Replica reads keep the caller's own writes visible (`readWith`). */
export function createLoaders(dataSource: DataSource): OrderLoaders {
  const orders = dataSource.getRepository(Order);
  const items = dataSource.getRepository(OrderItem);
  return {
    orderById: new DataLoader(
      tracedBatch('Order.id', async (ids: readonly number[]) => {
        const rows = await readWith(dataSource, 'replica', (manager) => manager.getRepository(Order).findBy({ id: In([...ids]) }));
        const found = new Map(rows.map((order) => [order.id, order]));
        return ids.map((id) => found.get(id) ?? null);
      }),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
    itemsByOrderId: createChildrenLoader(items, { parentProperty: 'orderId', maxBatchSize: MAX_BATCH_SIZE, read: 'replica' }),
    ordersByUser: createPageLoader(orders, { parentProperty: 'userId', order: 'DESC', maxBatchSize: MAX_BATCH_SIZE, read: 'replica' }),
  };
}
