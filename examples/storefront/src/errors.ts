import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';

/** What the person sees for an error, from the router's stable codes (`errors[].extensions.code`). */
export type Problem =
  /** 429 THROTTLED or 503 OVERLOADED: wait `seconds` (the router's Retry-After), then the page retries by itself. */
  | { kind: 'wait'; seconds: number; message: string }
  /** 401: the token is missing, malformed or expired: sign in again. */
  | { kind: 'sign-in'; message: string }
  /** The request never got an answer (offline, connection dropped): safe to retry. */
  | { kind: 'network'; message: string }
  | { kind: 'other'; message: string };

interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

/** Human text for the router's codes; anything else shows the router's own message. */
const MESSAGES: Record<string, string> = {
  UNAUTHENTICATED: 'Please sign in.',
  FORBIDDEN: 'This is not yours to see.',
  INSUFFICIENT_STOCK: 'Not enough of it in stock.',
  INVALID_QUANTITY: 'Choose a quantity from 1 to 1000.',
  PRODUCT_NOT_FOUND: 'This product is no longer sold.',
  IDEMPOTENCY_CONFLICT: 'This checkout was already used for another order: press Buy again.',
  CHECKOUT_EXPIRED: 'The checkout took too long and was cancelled: press Buy again.',
  SUBGRAPH_UNAVAILABLE: 'Part of the store is unavailable right now.',
  SUBGRAPH_TIMEOUT: 'Part of the store is slow to answer right now.',
  SERVICE_UNAVAILABLE: 'The store is unavailable right now: try again shortly.',
  PERSISTED_QUERY_NOT_FOUND: 'This version of the store is out of date: reload the page.',
  PERSISTED_QUERY_REQUIRED: 'This version of the store is out of date: reload the page.',
};

export function messageFor(error: GraphQLErrorLike): string {
  const code = typeof error.extensions?.code === 'string' ? error.extensions.code : '';
  if (code === 'INSUFFICIENT_STOCK' && typeof error.extensions?.available === 'number') {
    return `Only ${error.extensions.available} left in stock.`;
  }
  return MESSAGES[code] ?? error.message;
}

function bodyErrors(bodyText: string): GraphQLErrorLike[] {
  try {
    const body = JSON.parse(bodyText) as { errors?: GraphQLErrorLike[] };
    return Array.isArray(body.errors) ? body.errors : [];
  } catch {
    return [];
  }
}

/** Seconds to wait from a Retry-After header (seconds or an HTTP date); 1 when it is missing or unreadable. */
function retryAfterSeconds(header: string | null): number {
  if (!header) return 1;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(1, Math.ceil((date - Date.now()) / 1000)) : 1;
}

/** Sorts an error from Apollo Client into what the person should be told and what the app does next. */
export function describe(error: unknown): Problem {
  if (ServerError.is(error)) {
    const errors = bodyErrors(error.bodyText);
    const code = errors[0]?.extensions?.code;
    if (error.statusCode === 401 || code === 'UNAUTHENTICATED') {
      return { kind: 'sign-in', message: 'Your session is no longer valid: please sign in again.' };
    }
    if (error.statusCode === 429 || error.statusCode === 503) {
      const seconds = retryAfterSeconds(error.response.headers.get('retry-after'));
      return { kind: 'wait', seconds, message: error.statusCode === 429 ? 'Too many requests.' : 'The store is busy.' };
    }
    return { kind: 'other', message: errors[0] ? messageFor(errors[0]) : `The store answered ${error.statusCode}.` };
  }
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    // Demand control's refusal (HTTP 429) carries its Retry-After in the error too, where Apollo Client shows it.
    const code = first?.extensions?.code;
    if (code === 'THROTTLED' || code === 'OVERLOADED') {
      const seconds = Number(first?.extensions?.retryAfterSeconds);
      return { kind: 'wait', seconds: Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1, message: 'Too many requests.' };
    }
    // A request error (no path) saying UNAUTHENTICATED is about the token, not one field.
    if (first?.extensions?.code === 'UNAUTHENTICATED' && !first.path) {
      return { kind: 'sign-in', message: 'Please sign in.' };
    }
    return { kind: 'other', message: first ? messageFor(first) : 'Something went wrong.' };
  }
  if (error instanceof TypeError || (error instanceof Error && error.name === 'AbortError')) {
    return { kind: 'network', message: 'The store cannot be reached: check your connection.' };
  }
  return { kind: 'other', message: error instanceof Error ? error.message : 'Something went wrong.' };
}

/** Whether an error says the product service could not answer (the rest of the data is still good). */
export function isSubgraphDown(error: GraphQLErrorLike): boolean {
  return error.extensions?.code === 'SUBGRAPH_UNAVAILABLE' || error.extensions?.code === 'SUBGRAPH_TIMEOUT';
}
