import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppError, ErrorCode, inTransaction, type Logger, parseId } from '../../shared';
import { Order } from './entities/Order';
import { OrderItem } from './entities/OrderItem';
import { CheckoutRefused } from './errors';
import type { ProductApi } from './productApi';

/** Most lines in one order, and most units per line (the product API enforces the same). */
export const MAX_ORDER_LINES = 100;
export const MAX_QUANTITY_PER_LINE = 1000;

export interface PlaceOrderInput {
  items: { productId: string; quantity: number }[];
}

/** Rejects what can be rejected without asking anyone, so a bad request costs no reservation. */
function validate(input: PlaceOrderInput): void {
  if (input.items.length === 0 || input.items.length > MAX_ORDER_LINES) {
    throw new AppError(ErrorCode.INVALID_ORDER, `An order needs 1 to ${MAX_ORDER_LINES} items, got ${input.items.length}.`, {
      maximum: MAX_ORDER_LINES,
    });
  }
  for (const item of input.items) {
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY_PER_LINE) {
      throw new CheckoutRefused(
        ErrorCode.INVALID_QUANTITY,
        `Quantity for product ${item.productId} must be a whole number from 1 to ${MAX_QUANTITY_PER_LINE}, got ${item.quantity}.`,
        { productId: item.productId, quantity: item.quantity, maximum: MAX_QUANTITY_PER_LINE },
      );
    }
    if (parseId(item.productId) === null) {
      throw new CheckoutRefused(ErrorCode.PRODUCT_NOT_FOUND, `There is no product with id ${JSON.stringify(item.productId)}.`, {
        productId: item.productId,
      });
    }
  }
}

/**
 * Places an order: reserves stock and reads prices through the product subgraph's internal API, then
 * stores the order and its price snapshots in one transaction. If storing fails, the reservation is
 * released, so stock is never taken for an order that does not exist.
 */
export async function placeOrder(
  deps: { dataSource: DataSource; productApi: ProductApi; logger: Logger },
  userId: number,
  input: PlaceOrderInput,
): Promise<Order> {
  validate(input);
  const reservationKey = randomUUID();
  const reserved = await deps.productApi.reserve(reservationKey, input.items);
  const priceOf = new Map(reserved.map((line) => [line.productId, line]));
  const items = input.items.map((item) => {
    const line = priceOf.get(Number(item.productId));
    if (!line) throw new Error(`Reservation ${reservationKey} has no line for product ${item.productId}`);
    return { productId: line.productId, quantity: item.quantity, unitPriceCents: line.unitPriceCents, currency: line.currency };
  });
  const totalCents = items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0);
  let order: Order;
  try {
    if (!Number.isSafeInteger(totalCents) || totalCents > 2_147_483_647) {
      throw new AppError(ErrorCode.INVALID_ORDER, 'The order total is larger than one order can hold; split the order.');
    }
    order = await inTransaction(deps.dataSource, async (manager) => {
      const created = manager.create(Order, {
        userId,
        status: 'PLACED',
        totalCents,
        currency: items[0].currency,
        reservationKey,
        createdAt: new Date(),
      });
      await manager.insert(Order, created);
      await manager.insert(
        OrderItem,
        items.map((item) => ({ ...item, orderId: created.id })),
      );
      return created;
    });
  } catch (error) {
    await deps.productApi.release(reservationKey).catch((releaseError: unknown) => {
      deps.logger.error({ err: releaseError, reservationKey }, 'could not release stock of an order that was not stored');
    });
    throw error;
  }
  await deps.productApi.confirm(reservationKey).catch((confirmError: unknown) => {
    // The order is stored; an unconfirmed reservation is only bookkeeping on the product side.
    deps.logger.warn({ err: confirmError, reservationKey }, 'could not confirm a reservation');
  });
  return order;
}
