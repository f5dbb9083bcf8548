import {
  AppError,
  ErrorCode,
  forwardedCallerHeaders,
  type Logger,
  type RequestedLine,
  type ReservationKeyRequest,
  type ReserveAnswer,
  type ReservedLine,
  type ReserveRequest,
  ServiceUnavailable,
  STOCK_API_PATHS,
  STOCK_API_REFUSALS,
  type StockApiRefusal,
} from '../../shared';
import { CheckoutRefused } from './errors';

/** The order subgraph's view of the product subgraph's internal stock API (the contract: `shared/stockApi.ts`). */
export interface ProductApi {
  reserve(reservationKey: string, lines: RequestedLine[]): Promise<ReservedLine[]>;
  release(reservationKey: string): Promise<void>;
  confirm(reservationKey: string): Promise<void>;
}

/**
 * Calls the internal API over HTTP with the service credential. The product subgraph's refusals become
 * errors with the same code; anything else (down, timeout, 5xx) is SERVICE_UNAVAILABLE, with the cause
 * logged and not shown.
 */
export function createProductApi(options: { baseUrl: string; token: string; logger: Logger; timeoutMs?: number }): ProductApi {
  const call = async (path: string, body: ReserveRequest | ReservationKeyRequest): Promise<Record<string, unknown>> => {
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
    const refusal = payload.error as Partial<StockApiRefusal['error']> | undefined;
    if (refusal?.code && Object.hasOwn(STOCK_API_REFUSALS, refusal.code)) {
      const { code, message, ...details } = refusal;
      throw new CheckoutRefused(code as ErrorCode, message ?? code, details);
    }
    options.logger.error({ status: response.status, code: refusal?.code, path }, 'product internal API refused a call');
    if (response.status >= 500) throw new ServiceUnavailable('product');
    throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
  };
  return {
    async reserve(reservationKey, lines) {
      const payload = await call(STOCK_API_PATHS.reserve, { reservationKey, lines });
      return (payload as unknown as ReserveAnswer).lines;
    },
    async release(reservationKey) {
      await call(STOCK_API_PATHS.release, { reservationKey });
    },
    async confirm(reservationKey) {
      await call(STOCK_API_PATHS.confirm, { reservationKey });
    },
  };
}
