import type { DataSource } from 'typeorm';
import { User } from '../../subgraphs/account/entities/User';
import { Order } from '../../subgraphs/order/entities/Order';
import { OrderItem } from '../../subgraphs/order/entities/OrderItem';
import { Category } from '../../subgraphs/product/entities/Category';
import { Product, searchTextOf } from '../../subgraphs/product/entities/Product';

const BASE_TIME = Date.UTC(2026, 0, 1);

export async function insertUsers(dataSource: DataSource, users: { id: number; name: string; email?: string }[]): Promise<void> {
  await dataSource.getRepository(User).insert(
    users.map((user) => ({
      id: user.id,
      name: user.name,
      email: user.email ?? `user${user.id}@example.test`,
      createdAt: new Date(BASE_TIME + user.id * 1000),
    })),
  );
}

export async function insertCategory(dataSource: DataSource, id: number, name: string): Promise<void> {
  await dataSource.getRepository(Category).insert({ id, name, slug: name.toLowerCase().replace(/\W+/g, '-') });
}

export interface ProductFixture {
  id: number;
  name: string;
  sku?: string;
  priceCents: number;
  stock: number;
  categoryId: number;
}

export async function insertProducts(dataSource: DataSource, products: ProductFixture[]): Promise<void> {
  await dataSource.getRepository(Product).insert(
    products.map((product) => {
      const sku = product.sku ?? `SKU-${String(product.id).padStart(6, '0')}`;
      return {
        id: product.id,
        sku,
        name: product.name,
        description: `${product.name}, described.`,
        priceCents: product.priceCents,
        currency: 'USD',
        stock: product.stock,
        categoryId: product.categoryId,
        searchText: searchTextOf({ name: product.name, sku }),
        createdAt: new Date(BASE_TIME),
      };
    }),
  );
}

/**
 * Gives `userId` `count` orders of `itemsPerOrder` lines each, over `productIds` in turn. Returns the
 * orders' ids, oldest first. Prices are `unitPriceCents(productId)`.
 */
export async function insertOrders(
  dataSource: DataSource,
  options: {
    firstOrderId: number;
    userId: number;
    count: number;
    itemsPerOrder: number;
    productIds: number[];
    unitPriceCents: (productId: number) => number;
  },
): Promise<number[]> {
  const orders = [];
  const items = [];
  for (let n = 0; n < options.count; n++) {
    const orderId = options.firstOrderId + n;
    let totalCents = 0;
    for (let line = 0; line < options.itemsPerOrder; line++) {
      const productId = options.productIds[(n * options.itemsPerOrder + line) % options.productIds.length];
      const quantity = 1 + (line % 3);
      const unitPriceCents = options.unitPriceCents(productId);
      totalCents += unitPriceCents * quantity;
      items.push({ orderId, productId, quantity, unitPriceCents, currency: 'USD' });
    }
    orders.push({
      id: orderId,
      userId: options.userId,
      status: 'PLACED' as const,
      totalCents,
      currency: 'USD',
      reservationKey: `fixture-${orderId}`,
      createdAt: new Date(BASE_TIME + orderId * 60_000),
    });
  }
  await dataSource.getRepository(Order).insert(orders);
  for (let start = 0; start < items.length; start += 500) {
    await dataSource.getRepository(OrderItem).insert(items.slice(start, start + 500));
  }
  return orders.map((order) => order.id);
}

/**
 * The smallest data that crosses all three subgraphs: user 1 (Ada), product 1 (Saw, 100 cents, `stock` in
 * stock, category 1 Tools) and order 1 of user 1 with one line of product 1.
 */
export async function insertOneOrderOfOneProduct(
  databases: { account: { dataSource: DataSource }; product: { dataSource: DataSource }; order: { dataSource: DataSource } },
  stock: number,
): Promise<void> {
  await insertUsers(databases.account.dataSource, [{ id: 1, name: 'Ada' }]);
  await insertCategory(databases.product.dataSource, 1, 'Tools');
  await insertProducts(databases.product.dataSource, [{ id: 1, name: 'Saw', priceCents: 100, stock, categoryId: 1 }]);
  await insertOrders(databases.order.dataSource, {
    firstOrderId: 1,
    userId: 1,
    count: 1,
    itemsPerOrder: 1,
    productIds: [1],
    unitPriceCents: () => 100,
  });
}
