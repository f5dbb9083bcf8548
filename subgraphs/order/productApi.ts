import { AppError, ErrorCode, forwardedCallerHeaders, type Logger, ServiceUnavailable } from '../../shared';
import { CheckoutRefused } from './errors';

/** A reserved line as the product subgraph's internal API returns it. */
export interface ReservedLine {
  productId: number;
  quantity: number;
  unitPriceCents: number;
  currency: string;
}

/** The order subgraph's view of the product subgraph's internal stock API. */
export interface ProductApi {
  reserve(reservationKey: string, lines: { productId: string; quantity: number }[]): Promise<ReservedLine[]>;
  release(reservationKey: string): Promise<void>;
  confirm(reservationKey: string): Promise<void>;
}

const PASSED_ON = new Set<string>([
  ErrorCode.PRODUCT_NOT_FOUND,
  ErrorCode.INVALID_QUANTITY,
  ErrorCode.INSUFFICIENT_STOCK,
  ErrorCode.INVALID_ORDER,
  ErrorCode.IDEMPOTENCY_CONFLICT,
]);

/**
 * Calls the internal API over HTTP with the service credential. The product subgraph's refusals become
 * errors with the same code; anything else (down, timeout, 5xx) is SERVICE_UNAVAILABLE, with the cause
 * logged and not shown.
 */
export function createProductApi(options: { baseUrl: string; token: string; logger: Logger; timeoutMs?: number }): ProductApi {
  const call = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    let response: Response;
    try {
      response = await fetch(new URL(path, options.baseUrl), {
        method: 'POST',
        // The user this checkout is for: the stock it takes counts as their write, which their next reads must see.
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}`, ...forwardedCallerHeaders() },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      options.logger.error({ err: error, path }, 'product internal API unreachable');
      throw new ServiceUnavailable('product');
    }
    const payload = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) return payload;
    const refusal = payload.error as { code?: string; message?: string } | undefined;
    if (refusal?.code && PASSED_ON.has(refusal.code)) {
      const { code, message, ...details } = refusal;
      throw new CheckoutRefused(code as ErrorCode, message ?? code, details);
    }
    options.logger.error({ status: response.status, code: refusal?.code, path }, 'product internal API refused a call');
    if (response.status >= 500) throw new ServiceUnavailable('product');
    throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
  };
  return {
    async reserve(reservationKey, lines) {
      const payload = await call('/internal/reservations', { reservationKey, lines });
      return payload.lines as ReservedLine[];
    },
    async release(reservationKey) {
      await call('/internal/reservations/release', { reservationKey });
    },
    async confirm(reservationKey) {
      await call('/internal/reservations/confirm', { reservationKey });
    },
  };
}
