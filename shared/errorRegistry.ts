/**
 * Every error code a client of the router can receive, in one place: how it reaches the client, its HTTP
 * status, who sends it, and what it means for the client. `ErrorCode` and the request-error set below are
 * derived from it, and `docs/errors.md` is generated from it (`npm run docs:errors`): adding a code is one
 * entry here. Codes are part of the API: never rename one.
 */

/**
 * How a code reaches the client:
 * - `http`: the request is refused before GraphQL runs (or by a limit with its own status); the HTTP status
 *   says why, whatever the `Accept` header;
 * - `request`: a GraphQL request error: the document or its variables are refused, nothing executes, there is
 *   no `data`; 400 under `application/graphql-response+json`, 200 under `application/json` (GraphQL over HTTP);
 * - `field`: a field error, in `errors[]` with a `path` beside the rest of `data`; the status stays 200.
 */
export type ErrorKind = 'http' | 'request' | 'field';

/** Who puts the code in a response: our router, our subgraphs (relayed by the router), or a library. */
export type ErrorSender = 'router' | 'subgraphs' | 'Apollo Server' | 'Apollo Gateway';

export interface ErrorCodeDefinition {
  /** How it reaches the client; several when the same condition can show either way. */
  kinds: readonly ErrorKind[];
  /**
   * HTTP statuses of a response refused with it, the usual one first (a `request` error's under
   * `application/graphql-response+json`); empty for a field error only, which leaves the status at 200.
   */
  statuses: readonly number[];
  sentBy: readonly ErrorSender[];
  /** One line for clients: what happened, and what to do about it. */
  meaning: string;
}

const definitions = {
  // ---- The HTTP request itself
  BAD_REQUEST: {
    kinds: ['http'],
    statuses: [400, 404, 405, 415],
    sentBy: ['Apollo Server', 'router', 'subgraphs'],
    meaning:
      'Not a valid GraphQL-over-HTTP request (invalid JSON, no `query`, a CSRF-prone request without `apollo-require-preflight`; 405: a mutation over GET or another method; 404: no such path). Fix the request.',
  },
  PAYLOAD_TOO_LARGE: {
    kinds: ['http'],
    statuses: [413],
    sentBy: ['router', 'subgraphs'],
    meaning: 'The request body is larger than the server accepts (`ROUTER_MAX_BODY_BYTES`). Send a smaller document; split large inputs.',
  },
  BATCHING_NOT_SUPPORTED: {
    kinds: ['http'],
    statuses: [400],
    sentBy: ['router', 'subgraphs'],
    meaning: 'A JSON array of operations in one request while batching is off. Send the operations one per request.',
  },
  UNAUTHENTICATED: {
    kinds: ['http', 'field'],
    statuses: [401],
    sentBy: ['router', 'subgraphs', 'Apollo Gateway'],
    meaning:
      'No valid credentials: the bearer token was refused, or an API key is not one the router accepts (HTTP 401, nothing ran), or a field needs a signed-in user (field error, `null` at its path). Sign in (again), or send a key you were given (or none), and retry.',
  },
  FORBIDDEN: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['router', 'subgraphs', 'Apollo Gateway'],
    meaning: 'Signed in, but without the rights (scope, ownership) this field needs; the rest of `data` is there. Do not retry as is.',
  },
  THROTTLED: {
    kinds: ['http'],
    statuses: [429],
    sentBy: ['router'],
    meaning: "The client's cost budget is spent. Wait `Retry-After` seconds, or send cheaper operations.",
  },
  OVERLOADED: {
    kinds: ['http'],
    statuses: [503],
    sentBy: ['router'],
    meaning: 'The router is overloaded and shed the request before doing any work. Retry after `Retry-After` seconds.',
  },

  // ---- The document and its variables
  GRAPHQL_PARSE_FAILED: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['Apollo Server'],
    meaning: 'The document does not parse. Fix the query.',
  },
  GRAPHQL_VALIDATION_FAILED: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['Apollo Server', 'router'],
    meaning:
      'The document does not fit the schema (or, in production, asks for introspection; or a list field lacks the one slicing argument its cost needs). Fix the query.',
  },
  BAD_USER_INPUT: {
    kinds: ['request', 'field'],
    statuses: [400],
    sentBy: ['Apollo Server', 'router', 'subgraphs'],
    meaning:
      'A variable does not fit its type (request error), or an argument is malformed: an id that is not an id, an empty search (field error). Fix the input the message names.',
  },
  OPERATION_RESOLUTION_FAILURE: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['Apollo Server', 'router'],
    meaning: 'The document has several operations and `operationName` names none of them (or is missing). Name the operation to run.',
  },
  SUBSCRIPTIONS_NOT_SUPPORTED: {
    kinds: ['http'],
    statuses: [400],
    sentBy: ['router'],
    meaning: 'A subscription operation: the router answers queries and mutations over HTTP only. Poll with a query instead.',
  },
  OPERATION_NOT_SUPPORTED: {
    kinds: ['http'],
    statuses: [400],
    sentBy: ['router'],
    meaning:
      'An operation the router will not plan because it would be answered wrong (today: an alias under the prefix the router reserves); the message names the field. Change the operation as it says.',
  },
  PERSISTED_QUERY_NOT_FOUND: {
    kinds: ['request'],
    statuses: [400, 200],
    sentBy: ['Apollo Server', 'router'],
    meaning:
      "A persisted-query id the server does not know (APQ, status 200: send it again with the full document), or, with trusted documents enforced, not in this client's list: update the client.",
  },
  PERSISTED_QUERY_NOT_SUPPORTED: {
    kinds: ['request'],
    statuses: [200],
    sentBy: ['Apollo Server'],
    meaning: "Automatic persisted queries are off (trusted documents are enforced). Send an id from the client's list.",
  },
  PERSISTED_QUERY_REQUIRED: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['router'],
    meaning: "Trusted documents are enforced and this document is not in the client's list. Ship the operation in the client's list.",
  },

  // ---- Demand control
  COST_ESTIMATED_TOO_EXPENSIVE: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['router'],
    meaning:
      "The operation's estimated cost is over the limit (`extensions.measured`, `limit` when revealed). Ask for less: smaller pages, fewer nested lists.",
  },
  MAX_DEPTH_EXCEEDED: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['router'],
    meaning: 'The operation is nested deeper than the limit. Flatten it, or split it into several operations.',
  },
  MAX_ALIASES_EXCEEDED: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['router'],
    meaning: 'The operation uses more aliases than the limit. Use fewer aliases, or split the operation.',
  },
  MAX_ROOT_FIELDS_EXCEEDED: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['router'],
    meaning: 'The operation selects more root fields than the limit. Split it into several operations.',
  },
  MAX_TOKENS_EXCEEDED: {
    kinds: ['request'],
    statuses: [400],
    sentBy: ['router'],
    meaning: 'The document has more tokens than the limit. Send a shorter document.',
  },
  PAGE_SIZE_EXCEEDED: {
    kinds: ['request', 'field'],
    statuses: [400],
    sentBy: ['router', 'subgraphs'],
    meaning:
      "`first` is above the list's maximum page size (`extensions.limit` or `maximum`). Ask for at most that many and page with `after`.",
  },

  // ---- Domain errors of the subgraphs (field errors)
  INVALID_CURSOR: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning: 'An `after` cursor this list did not issue. Restart from the first page.',
  },
  PRODUCT_NOT_FOUND: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning: 'An order names a product that does not exist (`extensions.productId`). Remove the line or refresh the catalog.',
  },
  INVALID_QUANTITY: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning: "An order line's quantity is not a whole number from 1 to the per-line maximum. Correct the quantity.",
  },
  INSUFFICIENT_STOCK: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning: 'Too little stock for an order line (`extensions.available`, `requested`). Lower the quantity to at most `available`.',
  },
  CATEGORY_NOT_FOUND: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning: 'A product write names a category that does not exist. Use an existing category.',
  },
  SKU_ALREADY_EXISTS: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning: 'Another product already has this SKU. Choose another SKU.',
  },
  INVALID_ORDER: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning: 'An order with no lines, too many lines, or a total too large for one order. Fix the order or split it.',
  },
  IDEMPOTENCY_CONFLICT: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning: 'An idempotency key was reused for a different request. Use a new key for a new request.',
  },
  CHECKOUT_EXPIRED: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning:
      'The checkout under this idempotency key did not finish in time and was cancelled: no order was placed, its stock was given back. Place the order again with a new key.',
  },

  // ---- Faults
  SUBGRAPH_TIMEOUT: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['router'],
    meaning:
      "A subgraph did not answer within its timeout or the request's deadline; `data` holds the rest, `null` at `path`, `extensions.subgraph` names the missing part. Retry.",
  },
  SUBGRAPH_UNAVAILABLE: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['router'],
    meaning:
      'A subgraph is down, restarting, rate-limiting the router (its 429), or its circuit is open; `data` holds the rest. Retry with backoff.',
  },
  SUBGRAPH_REQUEST_REFUSED: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['router'],
    meaning:
      "A subgraph refused the router's request for this part with a 4xx status (other than 429); `data` holds the rest, `null` at `path`, `extensions.subgraph` names it. The operator's log has the status and the subgraph's answer; retrying the same request will not help.",
  },
  SERVICE_UNAVAILABLE: {
    kinds: ['field', 'http'],
    statuses: [503],
    sentBy: ['router', 'subgraphs'],
    meaning:
      "A service this one depends on (a database, another subgraph) is down or busy; as HTTP 503 only on health probes and a stopping subgraph's port. Retry with backoff.",
  },
  DEADLINE_EXCEEDED: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['subgraphs'],
    meaning:
      'The request ran out of time (or its caller hung up) before this part started. Mostly seen in subgraph logs: the router has given up on the call by then and reports SUBGRAPH_TIMEOUT. Retry.',
  },
  DOWNSTREAM_SERVICE_ERROR: {
    kinds: ['field'],
    statuses: [],
    sentBy: ['Apollo Gateway'],
    meaning:
      "A subgraph answered an error without a code of its own (`extensions.serviceName` names it). Ours always set one; report it to the subgraph's owners.",
  },
  INTERNAL_SERVER_ERROR: {
    kinds: ['field', 'http'],
    statuses: [500],
    sentBy: ['router', 'subgraphs', 'Apollo Server'],
    meaning:
      'A bug or an outage on our side; the message is generic on purpose and the cause is in the logs. Retry later; report it if it persists.',
  },
} as const satisfies Record<string, ErrorCodeDefinition>;

/** A code a client can receive in `errors[].extensions.code`: a key of the registry. */
export type ErrorCode = keyof typeof definitions;

/** The registry: each code's definition, in the order of the error reference. */
export const ERROR_REGISTRY: Readonly<Record<ErrorCode, ErrorCodeDefinition>> = definitions;

/** Every code by name (`ErrorCode.THROTTLED === 'THROTTLED'`), for code that sends one. */
export const ErrorCode = Object.freeze(Object.fromEntries(Object.keys(definitions).map((code) => [code, code]))) as {
  readonly [C in ErrorCode]: C;
};

/** Whether a string is a registered code. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(definitions, code);
}

/**
 * Codes of GraphQL *request* errors (kind `request`): the request was well-formed HTTP but GraphQL refused the
 * document or its variables. Under `application/json` the GraphQL-over-HTTP spec wants 200 for these; under
 * `application/graphql-response+json`, 4xx (which is what Apollo Server sets).
 */
export const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set(
  (Object.keys(definitions) as ErrorCode[]).filter((code) => ERROR_REGISTRY[code].kinds.includes('request')),
);
