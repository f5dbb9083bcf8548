import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './errorRegistry';

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

/**
 * A formatted error without `extensions.stacktrace` or `extensions.exception`: the router's `formatError` in
 * production, where a subgraph's own stack (relayed by the gateway with the subgraph's other extensions, and left
 * alone by Apollo Server's `includeStacktraceInErrorResponses`, which only governs the router's) must not reach
 * clients either.
 */
export function withoutStackTrace(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const extensions = formatted.extensions;
  if (!extensions || !('stacktrace' in extensions || 'exception' in extensions)) return formatted;
  const { stacktrace: _stacktrace, exception: _exception, ...rest } = extensions;
  return { ...formatted, extensions: rest };
}
