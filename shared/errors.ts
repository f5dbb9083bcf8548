import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * Every error code a client can see, in one place. The README lists each with what the client should do.
 * Codes are part of the API: never rename one.
 */
export enum ErrorCode {
  /** An argument is malformed (an id that is not an id, an empty search). Fix the request. */
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  /** A pagination cursor was not issued by this API, or for another list. Restart from the first page. */
  INVALID_CURSOR = 'INVALID_CURSOR',
  /** `first` is above the field's maximum page size. Ask for fewer items and page with `after`. */
  PAGE_SIZE_EXCEEDED = 'PAGE_SIZE_EXCEEDED',
  /** An order names a product that does not exist. */
  PRODUCT_NOT_FOUND = 'PRODUCT_NOT_FOUND',
  /** An order line's quantity is not a positive whole number (or above the per-line maximum). */
  INVALID_QUANTITY = 'INVALID_QUANTITY',
  /** Too little stock for an order line; `extensions.available` says how many are left. */
  INSUFFICIENT_STOCK = 'INSUFFICIENT_STOCK',
  /** A product write names a category that does not exist. */
  CATEGORY_NOT_FOUND = 'CATEGORY_NOT_FOUND',
  /** Another product already has this SKU. Choose another SKU. */
  SKU_ALREADY_EXISTS = 'SKU_ALREADY_EXISTS',
  /** An order has no lines, or more than the maximum. */
  INVALID_ORDER = 'INVALID_ORDER',
  /** An idempotency or reservation key was reused for a different request. Use a new key for a new request. */
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
  /**
   * The checkout under this idempotency key did not finish in time and was cancelled: no order was placed and
   * its stock was given back. Place the order again with a new key.
   */
  CHECKOUT_EXPIRED = 'CHECKOUT_EXPIRED',
  /** A persisted-query id the server does not know (or, with trusted documents enforced, not in this client's list). Send the full document (APQ), or update the client. */
  PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND',
  /** Trusted documents are enforced: only the operations of the client's own list run. Ship the operation in the client's list. */
  PERSISTED_QUERY_REQUIRED = 'PERSISTED_QUERY_REQUIRED',
  /** No valid credentials: the operation needs a signed-in user, or the token was refused (HTTP 401). Sign in (again). */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** Signed in, but without the rights (scope, ownership) this field needs. Do not retry as is. */
  FORBIDDEN = 'FORBIDDEN',
  /** The request body is larger than the server accepts. */
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  /** A JSON array of operations in one request, with batching off. Send them one per request. */
  BATCHING_NOT_SUPPORTED = 'BATCHING_NOT_SUPPORTED',
  /** The HTTP request is not a valid GraphQL-over-HTTP request (malformed JSON, no query). */
  BAD_REQUEST = 'BAD_REQUEST',
  /** The client's cost budget is spent (HTTP 429). Wait `Retry-After` seconds, or send cheaper operations. */
  THROTTLED = 'THROTTLED',
  /** A service this one depends on is down or too slow. Retry with backoff. */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  /** The router is overloaded and shed this request before doing any work (HTTP 503). Retry after `Retry-After` seconds. */
  OVERLOADED = 'OVERLOADED',
  /** A subgraph did not answer within its timeout or the request's deadline; the rest of the answer is there. Retry. */
  SUBGRAPH_TIMEOUT = 'SUBGRAPH_TIMEOUT',
  /** A subgraph is down, restarting, or its circuit is open; the rest of the answer is there. Retry with backoff. */
  SUBGRAPH_UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE',
  /** The request ran out of time (or its caller hung up) before this part started. Seen in subgraph logs, not by clients. */
  DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED',
  /** A subscription operation: the router answers queries and mutations only (HTTP 400). Poll with a query instead. */
  SUBSCRIPTIONS_NOT_SUPPORTED = 'SUBSCRIPTIONS_NOT_SUPPORTED',
  /** An operation the router refuses to plan because it would be answered wrong; the message names the field (HTTP 400). Change the operation as it says. */
  OPERATION_NOT_SUPPORTED = 'OPERATION_NOT_SUPPORTED',
  /** A bug or an outage on our side; the message is generic on purpose. Retry later. */
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** Base class of the errors a client may see: a stable code in `extensions.code`, plus typed details. */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...details } });
  }
}

export class BadUserInput extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.BAD_USER_INPUT, message, details);
  }
}

export class InvalidCursor extends AppError {
  constructor(readonly cursor: string) {
    super(ErrorCode.INVALID_CURSOR, 'The `after` cursor is not valid for this list.', {});
  }
}

export class PageSizeExceeded extends AppError {
  constructor(
    readonly requested: number,
    readonly maximum: number,
  ) {
    super(ErrorCode.PAGE_SIZE_EXCEEDED, `first must be between 0 and ${maximum}, got ${requested}.`, {
      requested,
      maximum,
    });
  }
}

export class Unauthenticated extends AppError {
  constructor(message = 'You must be signed in to do this.') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class ServiceUnavailable extends AppError {
  constructor(service: string) {
    super(ErrorCode.SERVICE_UNAVAILABLE, `The ${service} service is unavailable. Try again shortly.`, { service });
  }
}

/**
 * Apollo Server's `formatError` for every process: errors the code raised on purpose (AppError) and
 * the request errors GraphQL itself reports go out as they are; anything else is a bug or an outage,
 * so the client gets a generic message and a code, and `log` gets the cause.
 */
export function maskUnexpectedError(
  formatted: GraphQLFormattedError,
  error: unknown,
  log: (cause: unknown) => void,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) return formatted;
  const code = formatted.extensions?.code;
  // An exception thrown by our code or a library (TypeError, a driver error) is a bug or an outage. A coded
  // GraphQLError (graphql-js, Apollo, a subgraph's error relayed by the gateway) was meant for the client.
  const thrownByCode = original instanceof Error && !(original instanceof GraphQLError);
  if (!thrownByCode && typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
  if (thrownByCode || code === undefined) log(original);
  return {
    message: 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
