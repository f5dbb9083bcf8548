import type { DataSource } from 'typeorm';
import { AppError, BadUserInput, ErrorCode, inTransaction, minorDigitsOf, parseId } from '../../shared';
import { Category } from './entities/Category';
import { Product, searchTextOf } from './entities/Product';
import { InsufficientStock, ProductNotFound } from './errors';

/** The largest unit price accepted, in minor units (so that an order of up to 1000 units stays representable). */
export const MAX_PRICE_MINOR_UNITS = 100_000_000;

export interface MoneyInput {
  amount: string;
  currency: string;
}

/** Parses a decimal amount into integer minor units, exactly: no float ever touches a price. */
export function minorUnitsOf(price: MoneyInput): { minorUnits: number; currency: string } {
  if (!/^[A-Z]{3}$/.test(price.currency))
    throw new BadUserInput('price.currency must be an ISO 4217 code such as USD.', { field: 'price.currency' });
  const digits = minorDigitsOf(price.currency);
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(price.amount);
  if (!match || (match[2] ?? '').length > digits) {
    throw new BadUserInput(`price.amount must be a decimal with at most ${digits} digits after the point, e.g. 19.99.`, {
      field: 'price.amount',
    });
  }
  const minorUnits = Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || '0');
  if (minorUnits <= 0 || minorUnits > MAX_PRICE_MINOR_UNITS) {
    throw new BadUserInput('price.amount must be above zero and at most 1,000,000.00.', { field: 'price.amount' });
  }
  return { minorUnits, currency: price.currency };
}

function checkText(value: string, field: string, min: number, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length < min || trimmed.length > max) throw new BadUserInput(`${field} must be ${min} to ${max} characters.`, { field });
  return trimmed;
}

async function requireCategory(dataSource: DataSource, categoryId: string): Promise<number> {
  const id = parseId(categoryId);
  if (id === null || !(await dataSource.getRepository(Category).existsBy({ id }))) {
    throw new AppError(ErrorCode.CATEGORY_NOT_FOUND, `There is no category with id ${JSON.stringify(categoryId)}.`, { categoryId });
  }
  return id;
}

export interface CreateProductInput {
  sku: string;
  name: string;
  description?: string | null;
  price: MoneyInput;
  stock?: number | null;
  categoryId: string;
}

/** Adds a product; everything is validated before anything is written. */
export async function createProduct(dataSource: DataSource, input: CreateProductInput): Promise<Product> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/.test(input.sku)) {
    throw new BadUserInput('sku must be 2 to 64 letters, digits, - or _.', { field: 'sku' });
  }
  const name = checkText(input.name, 'name', 1, 200);
  const description = checkText(input.description ?? '', 'description', 0, 10_000);
  const { minorUnits, currency } = minorUnitsOf(input.price);
  const stock = input.stock ?? 0;
  if (!Number.isInteger(stock) || stock < 0) throw new BadUserInput('stock must be 0 or more.', { field: 'stock' });
  const categoryId = await requireCategory(dataSource, input.categoryId);
  const products = dataSource.getRepository(Product);
  if (await products.existsBy({ sku: input.sku })) {
    throw new AppError(ErrorCode.SKU_ALREADY_EXISTS, `A product with SKU ${input.sku} exists already.`, { sku: input.sku });
  }
  const product = products.create({
    sku: input.sku,
    name,
    description,
    priceCents: minorUnits,
    currency,
    stock,
    categoryId,
    searchText: searchTextOf({ name, sku: input.sku }),
    createdAt: new Date(),
  });
  try {
    await products.insert(product);
  } catch (error) {
    // Another request took the SKU between the check and the insert.
    if (await products.existsBy({ sku: input.sku })) {
      throw new AppError(ErrorCode.SKU_ALREADY_EXISTS, `A product with SKU ${input.sku} exists already.`, { sku: input.sku });
    }
    throw error;
  }
  return product;
}

export interface UpdateProductInput {
  name?: string | null;
  description?: string | null;
  price?: MoneyInput | null;
  categoryId?: string | null;
}

/** Changes the given fields of a product, in one transaction. */
export async function updateProduct(dataSource: DataSource, productId: string, input: UpdateProductInput): Promise<Product> {
  const changes: Partial<Product> = {};
  if (input.name != null) changes.name = checkText(input.name, 'name', 1, 200);
  if (input.description != null) changes.description = checkText(input.description, 'description', 0, 10_000);
  if (input.price != null) {
    const { minorUnits, currency } = minorUnitsOf(input.price);
    changes.priceCents = minorUnits;
    changes.currency = currency;
  }
  if (input.categoryId != null) changes.categoryId = await requireCategory(dataSource, input.categoryId);
  const id = parseId(productId);
  return inTransaction(dataSource, async (manager) => {
    const product = id === null ? null : await manager.findOneBy(Product, { id });
    if (!product) throw new ProductNotFound(productId);
    Object.assign(product, changes);
    if (changes.name) product.searchText = searchTextOf(product);
    await manager.save(product);
    return product;
  });
}

/** Adds `delta` units to the stock (negative takes units out), never below zero. */
export async function adjustStock(dataSource: DataSource, productId: string, delta: number): Promise<Product> {
  if (!Number.isInteger(delta) || delta === 0 || Math.abs(delta) > 1_000_000) {
    throw new BadUserInput('delta must be a whole number other than 0, at most 1,000,000 either way.', { field: 'delta' });
  }
  const id = parseId(productId);
  return inTransaction(dataSource, async (manager) => {
    const result = await manager
      .createQueryBuilder()
      .update(Product)
      .set({ stock: () => 'stock + :delta' })
      .where('id = :id AND stock + :delta >= 0', { id: id ?? 0, delta })
      .execute();
    const product = id === null ? null : await manager.findOneBy(Product, { id });
    if (!product) throw new ProductNotFound(productId);
    if (result.affected !== 1) throw new InsufficientStock(productId, -delta, product.stock);
    return product;
  });
}
