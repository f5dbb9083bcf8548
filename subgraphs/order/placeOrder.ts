import { createHash, randomUUID } from 'node:crypto';
import { type DataSource, type EntityManager, In, QueryFailedError } from 'typeorm';
import {
  AppError,
  BadUserInput,
  ErrorCode,
  inTransaction,
  type Logger,
  MAX_QUANTITY_PER_LINE,
  MAX_RESERVATION_LINES,
  parseId,
  type ReservedLine,
} from '../../shared';
import { CheckoutIntent, type CheckoutStatus } from './entities/CheckoutIntent';
import { Order } from './entities/Order';
import { OrderItem } from './entities/OrderItem';
import { CheckoutRefused } from './errors';
import type { ProductApi } from './productApi';

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
  if (input.items.length === 0 || input.items.length > MAX_RESERVATION_LINES) {
    throw new AppError(ErrorCode.INVALID_ORDER, `An order needs 1 to ${MAX_RESERVATION_LINES} items, got ${input.items.length}.`, {
      maximum: MAX_RESERVATION_LINES,
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

/** Marks a checkout's intent, if it is still in one of `from`; true when this call made the change. */
export async function moveIntent(
  manager: EntityManager,
  reservationKey: string,
  from: CheckoutStatus[],
  to: CheckoutStatus,
): Promise<boolean> {
  const result = await manager.update(CheckoutIntent, { reservationKey, status: In(from) }, { status: to, updatedAt: new Date() });
  return result.affected === 1;
}

/** The order already stored under this key for this user, if any. */
async function storedOrder(dataSource: DataSource, reservationKey: string, userId: number): Promise<Order | null> {
  const existing = await dataSource.getRepository(Order).findOneBy({ reservationKey });
  if (existing && existing.userId !== userId) {
    // Keys derive from the user id, so this cannot happen short of a hash collision: never hand out another's order.
    throw new AppError(ErrorCode.IDEMPOTENCY_CONFLICT, 'This idempotency key belongs to another checkout. Use a new key.');
  }
  return existing;
}

/**
 * Places an order across two databases without a distributed transaction, and without ever leaving stock
 * taken for an order that does not exist:
 *
 * 1. a `pending` checkout intent is written (orders database) before anything else;
 * 2. stock is reserved and prices read through the product subgraph's internal API (idempotent per key);
 * 3. in one transaction, the intent moves `pending → stored` and the order and its price snapshots are
 *    written; if the intent is no longer `pending` (the sweeper abandoned it), nothing is written;
 * 4. the reservation is confirmed, and the intent moves to `confirmed`.
 *
 * A refusal (stock, unknown product) deletes the intent: nothing was reserved. A failure after step 2 releases
 * the reservation. A crash anywhere leaves `pending` or `stored`, which the CheckoutSweeper finishes: a stale
 * `pending` is abandoned and its reservation released (a release tombstones the key, so a reservation still in
 * flight cannot take stock later); a `stored` one is confirmed.
 */
export async function placeOrder(
  deps: { dataSource: DataSource; productApi: ProductApi; logger: Logger },
  userId: number,
  input: PlaceOrderInput,
): Promise<Order> {
  validate(input);
  const { dataSource, productApi } = deps;
  const reservationKey = reservationKeyOf(userId, input.idempotencyKey);
  const requestHash = hashItems(input.items);
  if (input.idempotencyKey) {
    // A retry of a checkout that completed: answer from the orders database alone.
    const intent = await dataSource.getRepository(CheckoutIntent).findOneBy({ reservationKey });
    if (intent) checkRetry(intent, requestHash);
    if (intent?.status === 'stored' || intent?.status === 'confirmed') {
      const existing = await storedOrder(dataSource, reservationKey, userId);
      if (existing) return existing;
    }
  }
  await openIntent(dataSource, reservationKey, userId, requestHash);
  let reserved: ReservedLine[];
  try {
    reserved = await productApi.reserve(reservationKey, input.items);
  } catch (error) {
    if (error instanceof CheckoutRefused && error.code !== ErrorCode.IDEMPOTENCY_CONFLICT && !input.idempotencyKey) {
      // Refused as a whole under a key of its own: nothing was reserved under it, and nobody else can use it.
      await inTransaction(dataSource, (manager) => manager.delete(CheckoutIntent, { reservationKey, status: 'pending' }));
    }
    // Otherwise the reservation may exist (product down, a timeout, or a racing retry under the same idempotency key
    // that reserved after this refusal): the intent stays pending, and the sweeper releases it if nobody finishes.
    throw error;
  }
  const priceOf = new Map(reserved.map((line) => [line.productId, line]));
  const items = input.items.map((item) => {
    const line = priceOf.get(Number(item.productId));
    if (!line) throw new Error(`Reservation ${reservationKey} has no line for product ${item.productId}`);
    return { productId: line.productId, quantity: item.quantity, unitPriceCents: line.unitPriceCents, currency: line.currency };
  });
  const totalCents = items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0);
  let order: Order | 'not pending';
  try {
    if (!Number.isSafeInteger(totalCents) || totalCents > 2_147_483_647) {
      throw new AppError(ErrorCode.INVALID_ORDER, 'The order total is larger than one order can hold; split the order.');
    }
    order = await inTransaction(dataSource, async (manager) => {
      if (!(await moveIntent(manager, reservationKey, ['pending'], 'stored'))) return 'not pending';
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
      const existing = await storedOrder(dataSource, reservationKey, userId);
      if (existing) return existing;
    }
    await releaseAndAbandon(deps, reservationKey);
    throw error;
  }
  if (order === 'not pending') {
    // A racing retry stored it, or the sweeper gave up on this checkout and released its stock.
    const existing = await storedOrder(dataSource, reservationKey, userId);
    if (existing) return existing;
    throw new AppError(
      ErrorCode.CHECKOUT_EXPIRED,
      'This checkout did not finish in time and was cancelled: no order was placed and the stock was returned. Place the order again with a new idempotency key.',
    );
  }
  await confirm(deps, reservationKey);
  return order;
}

/** SHA-256 of the requested lines, summed per product and sorted: the identity of a checkout's request. */
export function hashItems(items: readonly { productId: string; quantity: number }[]): string {
  const quantities = new Map<string, number>();
  for (const item of items) quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
  const canonical = [...quantities].sort(([a], [b]) => Number(a) - Number(b));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** A retry must carry the same lines, and its checkout must not have been cancelled. */
function checkRetry(intent: CheckoutIntent, requestHash: string): void {
  if (intent.requestHash !== requestHash) {
    throw new AppError(ErrorCode.IDEMPOTENCY_CONFLICT, 'This idempotency key was used for other items. Use a new key for a new order.');
  }
  if (intent.status === 'abandoning' || intent.status === 'abandoned') {
    throw new AppError(
      ErrorCode.CHECKOUT_EXPIRED,
      'The checkout under this idempotency key was cancelled and its stock returned. Place the order again with a new key.',
    );
  }
}

/** Step 1: the intent, unless a racing retry wrote it already (then it must be the same request, still open). */
async function openIntent(dataSource: DataSource, reservationKey: string, userId: number, requestHash: string): Promise<void> {
  const now = new Date();
  try {
    // Through the transaction queue: on SQLite a lone statement would otherwise run inside another request's
    // open transaction (one shared connection) and vanish with its rollback.
    await inTransaction(dataSource, (manager) =>
      manager.insert(CheckoutIntent, { reservationKey, userId, requestHash, status: 'pending', createdAt: now, updatedAt: now }),
    );
  } catch (error) {
    if (!isDuplicateReservation(error)) throw error;
    checkRetry(await dataSource.getRepository(CheckoutIntent).findOneByOrFail({ reservationKey }), requestHash);
  }
}

/**
 * Gives the stock back after a failed store, but only once this call has claimed the checkout (`pending →
 * abandoning`): if a racing retry under the same key stored the order meanwhile, its stock must stay taken.
 * The sweeper finishes the release if the product subgraph does not answer.
 */
export async function releaseAndAbandon(deps: { dataSource: DataSource; productApi: ProductApi; logger: Logger }, reservationKey: string) {
  try {
    const claimed = await inTransaction(deps.dataSource, (manager) => moveIntent(manager, reservationKey, ['pending'], 'abandoning'));
    if (!claimed) return;
    await deps.productApi.release(reservationKey);
    await inTransaction(deps.dataSource, (manager) => moveIntent(manager, reservationKey, ['abandoning'], 'abandoned'));
  } catch (releaseError) {
    deps.logger.error({ err: releaseError, reservationKey }, 'could not release stock of an order that was not stored; the sweeper will');
  }
}

/** Step 4. A failure here is only bookkeeping: the order exists, and the sweeper confirms it later. */
async function confirm(deps: { dataSource: DataSource; productApi: ProductApi; logger: Logger }, reservationKey: string) {
  try {
    await deps.productApi.confirm(reservationKey);
    await inTransaction(deps.dataSource, (manager) => moveIntent(manager, reservationKey, ['stored'], 'confirmed'));
  } catch (confirmError) {
    deps.logger.warn({ err: confirmError, reservationKey }, 'could not confirm a reservation; the sweeper will');
  }
}
