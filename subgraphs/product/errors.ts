import { AppError, ErrorCode } from '../../shared';

/** An order (or reservation) names a product that does not exist. */
export class ProductNotFound extends AppError {
  constructor(readonly productId: string) {
    super(ErrorCode.PRODUCT_NOT_FOUND, `There is no product with id ${JSON.stringify(productId)}.`, { productId });
  }
}

/** A quantity that is not a whole number from 1 to the per-line maximum. */
export class InvalidQuantity extends AppError {
  constructor(
    readonly productId: string,
    readonly quantity: number,
    readonly maximum: number,
  ) {
    super(ErrorCode.INVALID_QUANTITY, `Quantity for product ${productId} must be a whole number from 1 to ${maximum}, got ${quantity}.`, {
      productId,
      quantity,
      maximum,
    });
  }
}

/** Fewer units on hand than requested; `available` says how many there are. */
export class InsufficientStock extends AppError {
  constructor(
    readonly productId: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super(ErrorCode.INSUFFICIENT_STOCK, `Only ${available} of product ${productId} in stock, ${requested} requested.`, {
      productId,
      requested,
      available,
    });
  }
}
