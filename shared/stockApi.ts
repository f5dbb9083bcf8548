import { ErrorCode } from './errorRegistry';

/**
 * The contract of the product subgraph's internal stock API, which the product subgraph serves and the order
 * subgraph calls for checkout. It is not part of the supergraph; every call carries the service credential
 * (`Authorization: Bearer INTERNAL_API_TOKEN`) and a JSON body:
 *
 * - `POST /internal/reservations` `ReserveRequest` → `ReserveAnswer`
 * - `POST /internal/reservations/release` `ReservationKeyRequest` → `ReleaseAnswer`
 * - `POST /internal/reservations/confirm` `ReservationKeyRequest` → `ConfirmAnswer`
 *
 * A refusal of checkout's rules is a `StockApiRefusal` with the status `STOCK_API_REFUSALS` gives its code; a
 * request refused for another reason is a 400 (401 without the credential, 405 for another method than POST).
 */
export const STOCK_API_PATHS = {
  reserve: '/internal/reservations',
  release: '/internal/reservations/release',
  confirm: '/internal/reservations/confirm',
} as const;

/** Most lines in one reservation, so in one order: the order subgraph checks it before calling, the API enforces it. */
export const MAX_RESERVATION_LINES = 100;
/** Most units of one product in one line, checked and enforced the same way. */
export const MAX_QUANTITY_PER_LINE = 1000;

/** What a reservation key must look like: the order's key for the reservation, the same on every retry. */
export const RESERVATION_KEY_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** One line to reserve, as the order's client sent it (`productId` is a GraphQL ID). */
export interface RequestedLine {
  productId: string;
  quantity: number;
}

/** One line of a reservation, with the price the order must snapshot. */
export interface ReservedLine {
  productId: number;
  quantity: number;
  unitPriceCents: number;
  currency: string;
}

export interface ReserveRequest {
  reservationKey: string;
  lines: RequestedLine[];
}

export interface ReserveAnswer {
  reservationKey: string;
  lines: ReservedLine[];
}

/** The body of release and confirm. */
export interface ReservationKeyRequest {
  reservationKey: string;
}

export interface ReleaseAnswer {
  reservationKey: string;
  status: 'released';
}

export interface ConfirmAnswer {
  reservationKey: string;
  status: 'confirmed';
}

/** The body of a refusal: the error's code and message, and its details (`productId`, `available`, …). */
export interface StockApiRefusal {
  error: { code: string; message: string; [detail: string]: unknown };
}

/**
 * The refusals of checkout's own rules, each with its HTTP status: the product subgraph answers them with that
 * status, and the order subgraph passes them on to its client with the same code.
 */
export const STOCK_API_REFUSALS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.PRODUCT_NOT_FOUND]: 404,
  [ErrorCode.INSUFFICIENT_STOCK]: 409,
  [ErrorCode.IDEMPOTENCY_CONFLICT]: 409,
  [ErrorCode.INVALID_QUANTITY]: 422,
  [ErrorCode.INVALID_ORDER]: 422,
};
