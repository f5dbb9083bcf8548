import type DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { createChildrenLoader, createKeyLoader, createPageLoader, type PageKey } from '../../shared';
import { Order } from './entities/Order';
import { OrderItem } from './entities/OrderItem';

export interface OrderLoaders {
  orderById: DataLoader<number, Order | null>;
  itemsByOrderId: DataLoader<number, OrderItem[]>;
  ordersByUser: DataLoader<PageKey, Order[], string>;
}

/** Made per request, in the context factory. Replica reads keep the caller's own writes visible (`readWith`). */
export function createLoaders(dataSource: DataSource): OrderLoaders {
  const orders = dataSource.getRepository(Order);
  return {
    orderById: createKeyLoader(orders, { key: 'id', read: 'replica' }),
    itemsByOrderId: createChildrenLoader(dataSource.getRepository(OrderItem), { parentProperty: 'orderId', read: 'replica' }),
    ordersByUser: createPageLoader(orders, { parentProperty: 'userId', order: 'DESC', read: 'replica' }),
  };
}
