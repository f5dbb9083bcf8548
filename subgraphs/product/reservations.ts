import { createHash } from 'node:crypto';
import { type DataSource, type EntityManager, In, QueryFailedError } from 'typeorm';
import {
  AppError,
  declareChangedInPlace,
  ErrorCode,
  inTransaction,
  MAX_QUANTITY_PER_LINE,
  MAX_RESERVATION_LINES,
  parseId,
  type RequestedLine,
  type ReservedLine,
} from '../../shared';
import { Product } from './entities/Product';
import { StockReservation } from './entities/StockReservation';
import { InsufficientStock, InvalidQuantity, ProductNotFound } from './errors';

/** The same reservation key was used for different lines, or after the reservation was released. */
export class ReservationConflict extends AppError {
  constructor(reservationKey: string, reason: string) {
    super(ErrorCode.IDEMPOTENCY_CONFLICT, `Reservation ${reservationKey} ${reason}.`, { reservationKey });
  }
}

export class ReservationNotFound extends AppError {
  constructor(reservationKey: string) {
    super(ErrorCode.BAD_USER_INPUT, `There is no reservation ${reservationKey}.`, { reservationKey });
  }
}

/** Checks lines before any database work; every problem is a client error with a stable code. */
export function validateLines(lines: readonly RequestedLine[]): Map<number, number> {
  if (lines.length === 0 || lines.length > MAX_RESERVATION_LINES) {
    throw new AppError(ErrorCode.INVALID_ORDER, `An order needs 1 to ${MAX_RESERVATION_LINES} items, got ${lines.length}.`, {
      maximum: MAX_RESERVATION_LINES,
    });
  }
  const quantities = new Map<number, number>();
  for (const line of lines) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY_PER_LINE) {
      throw new InvalidQuantity(line.productId, line.quantity, MAX_QUANTITY_PER_LINE);
    }
    const id = parseId(line.productId);
    if (id === null) throw new ProductNotFound(line.productId);
    quantities.set(id, (quantities.get(id) ?? 0) + line.quantity);
  }
  return quantities;
}

function hashLines(quantities: Map<number, number>): string {
  const canonical = [...quantities].sort(([a], [b]) => a - b);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function isDuplicateKey(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; errno?: number };
  return driverError.code === 'ER_DUP_ENTRY' || driverError.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Takes stock for an order and returns the current unit prices, all in one transaction: either every
 * line is reserved or nothing changes. Idempotent per `reservationKey`: a retry with the same lines gets
 * the first answer and takes no more stock; other lines under the same key are a conflict.
 */
export async function reserveStock(
  dataSource: DataSource,
  reservationKey: string,
  lines: readonly RequestedLine[],
): Promise<ReservedLine[]> {
  const quantities = validateLines(lines);
  const requestHash = hashLines(quantities);
  try {
    return await inTransaction(dataSource, (manager) => reserveInTransaction(manager, reservationKey, requestHash, quantities));
  } catch (error) {
    // A concurrent call with the same key won the insert: answer from its reservation.
    if (!isDuplicateKey(error)) throw error;
    return inTransaction(dataSource, (manager) => reserveInTransaction(manager, reservationKey, requestHash, quantities));
  }
}

async function reserveInTransaction(
  manager: EntityManager,
  reservationKey: string,
  requestHash: string,
  quantities: Map<number, number>,
): Promise<ReservedLine[]> {
  const existing = await manager.findOneBy(StockReservation, { reservationKey });
  if (existing) {
    if (existing.status === 'released') throw new ReservationConflict(reservationKey, 'was released');
    if (existing.requestHash !== requestHash) throw new ReservationConflict(reservationKey, 'was made for other items');
    return existing.lines;
  }
  const ids = [...quantities.keys()];
  const query = manager.createQueryBuilder(Product, 'product').where({ id: In(ids) });
  // Row locks on MySQL; a SQLite transaction already has the whole database to itself.
  if (manager.connection.options.type === 'mysql') query.setLock('pessimistic_write');
  const products = new Map((await query.getMany()).map((product) => [product.id, product]));
  const reserved: ReservedLine[] = [];
  for (const [productId, quantity] of quantities) {
    const product = products.get(productId);
    if (!product) throw new ProductNotFound(String(productId));
    if (product.stock < quantity) throw new InsufficientStock(String(productId), quantity, product.stock);
    reserved.push({ productId, quantity, unitPriceCents: product.priceCents, currency: product.currency });
  }
  const currencies = new Set(reserved.map((line) => line.currency));
  if (currencies.size > 1) {
    throw new AppError(ErrorCode.INVALID_ORDER, 'Products in one order must share a currency.', { currencies: [...currencies] });
  }
  for (const line of reserved) {
    const result = await manager
      .createQueryBuilder()
      .update(Product)
      .set({ stock: () => 'stock - :quantity' })
      .where('id = :id AND stock >= :quantity', { id: line.productId, quantity: line.quantity })
      .execute();
    if (result.affected !== 1) throw new InsufficientStock(String(line.productId), line.quantity, 0);
    declareChangedInPlace('Product', { id: String(line.productId) });
  }
  const now = new Date();
  await manager.insert(StockReservation, {
    reservationKey,
    requestHash,
    status: 'reserved',
    lines: reserved,
    createdAt: now,
    updatedAt: now,
  });
  return reserved;
}

/**
 * Gives a reservation's stock back (the order could not be stored). Idempotent. Releasing a key that was
 * never reserved leaves a tombstone, so a reservation request still in flight cannot take stock later.
 */
export async function releaseStock(dataSource: DataSource, reservationKey: string): Promise<'released'> {
  return inTransaction<'released'>(dataSource, async (manager) => {
    const query = manager.createQueryBuilder(StockReservation, 'reservation').where({ reservationKey });
    if (manager.connection.options.type === 'mysql') query.setLock('pessimistic_write');
    const reservation = await query.getOne();
    const now = new Date();
    if (!reservation) {
      await manager.insert(StockReservation, {
        reservationKey,
        requestHash: '',
        status: 'released',
        lines: [],
        createdAt: now,
        updatedAt: now,
      });
      return 'released';
    }
    if (reservation.status === 'released') return 'released';
    if (reservation.status === 'confirmed') throw new ReservationConflict(reservationKey, 'belongs to a stored order');
    // In product id order, as reserveStock locks them: two transactions never wait on each other's rows.
    for (const line of [...reservation.lines].sort((a, b) => a.productId - b.productId)) {
      await manager
        .createQueryBuilder()
        .update(Product)
        .set({ stock: () => 'stock + :quantity' })
        .where('id = :id', { id: line.productId, quantity: line.quantity })
        .execute();
      declareChangedInPlace('Product', { id: String(line.productId) });
    }
    await manager.update(StockReservation, { id: reservation.id }, { status: 'released', updatedAt: now });
    return 'released';
  });
}

/** Marks a reservation as belonging to a stored order, so that nothing releases it. Idempotent. */
export async function confirmReservation(dataSource: DataSource, reservationKey: string): Promise<'confirmed'> {
  const reservations = dataSource.getRepository(StockReservation);
  // Through the transaction queue (SQLite shares one connection with the transactions in flight).
  const result = await inTransaction(dataSource, (manager) =>
    manager.update(StockReservation, { reservationKey, status: 'reserved' }, { status: 'confirmed', updatedAt: new Date() }),
  );
  if (result.affected === 1) return 'confirmed';
  const reservation = await reservations.findOneBy({ reservationKey });
  if (reservation?.status === 'confirmed') return 'confirmed';
  if (!reservation) throw new ReservationNotFound(reservationKey);
  throw new ReservationConflict(reservationKey, 'was released');
}
