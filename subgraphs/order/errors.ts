import { AppError, ErrorCode } from '../../shared';

/**
 * Errors of checkout. The product subgraph decides PRODUCT_NOT_FOUND, INVALID_QUANTITY and
 * INSUFFICIENT_STOCK; its internal API's answer is raised here with the same code and details.
 */
export class CheckoutRefused extends AppError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown>) {
    super(code, message, details);
  }
}

/** An order must be placed by a signed-in user. */
export { Unauthenticated } from '../../shared';
