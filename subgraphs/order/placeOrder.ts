import { createHash, randomUUID } from 'node:crypto';
import { type DataSource, QueryFailedError } from 'typeorm';
import { AppError, BadUserInput, ErrorCode, inTransaction, type Logger, parseId } from '../../shared';
import { Order } from './entities/Order';
import { OrderItem } from './entities/OrderItem';
import { CheckoutRefused } from './errors';
import type { ProductApi } from './productApi';

/** Most lines in one order, and most units per line (the product API enforces the same). */
export const MAX_ORDER_LINES = 100;
export const MAX_QUANTITY_PER_LINE = 1000;

export interface PlaceOrderInput {
  items: { productId: string; quantity: number }[];
  /** The client's key for this checkout: a retry with the same key and items returns the first order. */
  idempotencyKey?: string | null;
}

/**
 * The reservation key of a checkout: random without an idempotency key; with one, derived from the user and
 * the key, so that every retry (even racing ones, even through another replica) reserves under the same key
 * (the product subgraph takes the stock once) and stores under the same unique `orders.reservation_key`
 * (the order is written once).
 */
export function reservationKeyOf(userId: number, idempotencyKey: string | null | undefined): string {
  if (!idempotencyKey) return randomUUID();
  return `idem-${createHash('sha256').update(`${userId}:${idempotencyKey}`).digest('hex').slice(0, 40)}`;
}

function isDuplicateReservation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: string }).code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Rejects what can be rejected without asking anyone, so a bad request costs no reservation. */
function validate(input: PlaceOrderInput): void {
  if (input.idempotencyKey !== undefined && input.idempotencyKey !== null && !/^[A-Za-z0-9_.:-]{8,100}$/.test(input.idempotencyKey)) {
    throw new BadUserInput('idempotencyKey must be 8 to 100 characters of letters, digits, _ . : -', { field: 'idempotencyKey' });
  }
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
  const reservationKey = reservationKeyOf(userId, input.idempotencyKey);
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
    if (input.idempotencyKey && isDuplicateReservation(error)) {
      // The same checkout, stored by a request that got there first: answer with its order, write nothing.
      const existing = await deps.dataSource.getRepository(Order).findOneByOrFail({ reservationKey });
      if (existing.userId !== userId) throw error;
      return existing;
    }
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
