import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError, Kind, parse } from 'graphql';
import { ErrorCode, type Logger, ROUTER_CREDENTIAL_HEADER, TIME_LEFT_HEADER, USER_ID_HEADER, USER_SCOPES_HEADER } from '../../shared';
import type { EntityCache } from '../cache/EntityCache';
import type { RouterContext } from '../RouterContext';
import type { CircuitBreaker } from '../resilience/CircuitBreaker';
import { backoffDelay, type RetryBudget } from '../resilience/RetryBudget';

export type SubgraphFailureCode =
  | typeof ErrorCode.SUBGRAPH_TIMEOUT
  | typeof ErrorCode.SUBGRAPH_UNAVAILABLE
  | typeof ErrorCode.SUBGRAPH_REQUEST_REFUSED;

/** The most of a refusing subgraph's answer that goes into the log line. */
const LOGGED_BODY_CHARS = 2_000;

export interface SubgraphCallPolicy {
  /** How long one call may take, in ms (capped by the request's time left). */
  timeoutMs: number;
  /** Retries after the first attempt, for queries only. Default 2. */
  maxRetries: number;
  /** First backoff step, in ms (full jitter, doubling). Default 25. */
  retryBaseDelayMs: number;
  breaker: CircuitBreaker;
  retryBudget: RetryBudget;
  /** Called after every attempt: `ok`, the failure code, or `error` for any other failure (metrics). */
  observe?: (outcome: 'ok' | 'error' | SubgraphFailureCode, seconds: number) => void;
  /** Where a subgraph's refusal (4xx) is logged with its URL, status and body, which the client never sees. */
  logger?: Logger;
  /** The entity cache every call goes through (`router/cache/`), when it is on. */
  entityCache?: EntityCache | null;
}

/** Counters for one subgraph, read by tests, benchmarks and metrics. */
export interface SubgraphCallStats {
  requests: number;
  retries: number;
  failures: Partial<Record<SubgraphFailureCode, number>>;
  /** Calls refused without a request because the circuit was open. */
  shortCircuited: number;
}

type ProcessOptions = GraphQLDataSourceProcessOptions<RouterContext>;

/** Thrown before a call when the request's deadline has already passed. */
class DeadlinePassed extends Error {
  override name = 'TimeoutError';
}

/**
 * Sends subgraph requests through the router's own pool, with the router's credential for that subgraph
 * and the verified caller's identity (identity headers are only ever set here: any copy is deleted first),
 * and protects the request and the subgraph:
 *
 * - each call gets `min(timeoutMs, time left before the request's deadline)`, and tells the subgraph that
 *   time in `x-request-time-left-ms`, so it stops starting work nobody will read;
 * - queries are retried on connection failures and 429/502/503/504 with jittered exponential backoff, within
 *   the deadline and the retry budget; mutations are never sent twice;
 * - a circuit breaker fails calls fast while the subgraph keeps failing;
 * - any other 4xx is the subgraph refusing this request (a bad credential, a request too large): never
 *   retried, not a failure of the subgraph for the breaker, answered `SUBGRAPH_REQUEST_REFUSED` at the path,
 *   with the subgraph's URL and answer in the log only (at error level for 401/403: the operator's mistake);
 * - a failure of the subgraph fails only its part of the answer: the gateway keeps what the other
 *   subgraphs returned, and the client gets an error at the missing part's path with a stable code and the
 *   subgraph's name, never its URL.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  readonly stats: SubgraphCallStats = { requests: 0, retries: 0, failures: {}, shortCircuited: 0 };

  constructor(
    options: ConstructorParameters<typeof RemoteGraphQLDataSource<RouterContext>>[0],
    private readonly credential: string,
    readonly subgraph: string,
    private readonly policy: SubgraphCallPolicy,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    super(options);
  }

  override async process(options: ProcessOptions) {
    const cache = this.policy.entityCache;
    return cache ? cache.fetch(this.subgraph, options, (sent) => this.call(sent)) : this.call(options);
  }

  /** One subgraph call with its deadline, breaker and retries. */
  private async call(options: ProcessOptions) {
    const incoming = 'incomingRequestContext' in options;
    const retriable = incoming && operationTypeOf(options) === 'query';
    if (incoming) this.policy.retryBudget.deposit();
    for (let attempt = 0; ; attempt++) {
      // Out of time before the call: a timeout of this request, not a failure of the subgraph.
      if (this.timeLeft(options) < 1) throw this.failure(ErrorCode.SUBGRAPH_TIMEOUT, options, 'deadline');
      if (!this.policy.breaker.tryAcquire()) {
        this.stats.shortCircuited += 1;
        throw this.failure(ErrorCode.SUBGRAPH_UNAVAILABLE, options, 'circuit open');
      }
      this.stats.requests += 1;
      if (attempt > 0) this.stats.retries += 1;
      let code: SubgraphFailureCode | null;
      const started = performance.now();
      // A call whose timeout the request's deadline shortened says nothing about the subgraph when it times out.
      const cappedByDeadline = this.timeLeft(options) < this.policy.timeoutMs;
      try {
        const response = await super.process(options);
        this.policy.breaker.onSuccess();
        this.policy.observe?.('ok', (performance.now() - started) / 1000);
        return response;
      } catch (error) {
        code = subgraphFailureCode(error);
        const status = (error as { extensions?: { response?: { status?: number } } }).extensions?.response?.status ?? 0;
        // The breaker first: nothing below may leave a half-open probe unanswered. A refusal (4xx) came from
        // a subgraph that answers: a client's bad input must not open its circuit.
        if (code === ErrorCode.SUBGRAPH_TIMEOUT && (cappedByDeadline || error instanceof DeadlinePassed)) this.policy.breaker.release();
        else if ((code && code !== ErrorCode.SUBGRAPH_REQUEST_REFUSED) || status >= 500) this.policy.breaker.onFailure();
        else this.policy.breaker.onSuccess();
        this.policy.observe?.(code ?? 'error', (performance.now() - started) / 1000);
        if (!code) throw error;
        this.stats.failures[code] = (this.stats.failures[code] ?? 0) + 1;
        if (code === ErrorCode.SUBGRAPH_REQUEST_REFUSED) this.logRefusal(error);
      }
      if (code === ErrorCode.SUBGRAPH_UNAVAILABLE && retriable && attempt < this.policy.maxRetries) {
        const delay = backoffDelay(attempt, this.policy.retryBaseDelayMs, 1_000);
        // Only when the deadline leaves time for the retry to be useful, and the budget allows it.
        if (this.timeLeft(options) > delay + 10 && this.policy.retryBudget.tryWithdraw()) {
          await this.sleep(delay);
          continue;
        }
      }
      throw this.failure(code, options);
    }
  }

  override willSendRequest(options: ProcessOptions): void {
    const { request, context } = options;
    const headers = request.http?.headers;
    if (!headers) return;
    headers.delete(USER_ID_HEADER);
    headers.delete(USER_SCOPES_HEADER);
    headers.set(ROUTER_CREDENTIAL_HEADER, this.credential);
    const timeout = Math.min(this.policy.timeoutMs, Math.floor(this.timeLeft(options)));
    if (timeout <= 0) throw new DeadlinePassed('The request deadline passed before this call');
    // Read by the router's fetcher (its abort timer) and by the subgraph (its own deadline).
    headers.set(TIME_LEFT_HEADER, String(timeout));
    // Health checks and schema loads run without a request context: they carry the credential only.
    const caller = 'caller' in context ? (context as RouterContext).caller : undefined;
    if (caller?.userId) {
      headers.set(USER_ID_HEADER, caller.userId);
      if (caller.scopes.size > 0) headers.set(USER_SCOPES_HEADER, [...caller.scopes].join(' '));
    }
  }

  /** The refusal's URL, status and body, for the operator: the client gets only the code and the subgraph's name. */
  private logRefusal(error: unknown): void {
    const response = (error as { extensions?: { response?: { url?: string; status?: number; body?: unknown } } }).extensions?.response;
    const status = response?.status ?? 0;
    const text = typeof response?.body === 'string' ? response.body : JSON.stringify(response?.body ?? null);
    const details = { subgraph: this.subgraph, status, url: response?.url, body: text.slice(0, LOGGED_BODY_CHARS) };
    if (status === 401 || status === 403) {
      this.policy.logger?.error(
        details,
        `the ${this.subgraph} subgraph refused the router's request with ${status}: check that ${this.subgraph.toUpperCase()}_SUBGRAPH_SECRET matches its SUBGRAPH_SECRET`,
      );
    } else {
      this.policy.logger?.warn(details, `the ${this.subgraph} subgraph refused a request with ${status}`);
    }
  }

  /** Milliseconds before the incoming request's deadline (unbounded outside a client request). */
  private timeLeft(options: ProcessOptions): number {
    const deadline = (options.context as Partial<RouterContext>).deadline;
    return deadline === undefined ? Number.POSITIVE_INFINITY : deadline - performance.now();
  }

  private failure(code: SubgraphFailureCode, options: ProcessOptions, reason?: string): GraphQLError {
    const path = 'pathInIncomingRequest' in options ? (options.pathInIncomingRequest ?? []) : [];
    return new GraphQLError(
      code === ErrorCode.SUBGRAPH_TIMEOUT
        ? `The ${this.subgraph} service did not answer in time.`
        : code === ErrorCode.SUBGRAPH_REQUEST_REFUSED
          ? `The ${this.subgraph} service refused this request.`
          : `The ${this.subgraph} service is unavailable.`,
      {
        path: [...path.filter((key) => key !== '@'), ...firstResponseKey(options.request.query)],
        extensions: { code, subgraph: this.subgraph, ...(reason ? { reason } : {}) },
      },
    );
  }
}

/** The operation type of a subgraph fetch: the gateway sends `query …` or `mutation …` documents. */
function operationTypeOf(options: ProcessOptions): 'query' | 'mutation' | 'subscription' {
  const match = /^\s*(query|mutation|subscription)\b/.exec(options.request.query ?? '');
  return (match?.[1] as 'query' | 'mutation' | 'subscription' | undefined) ?? 'query';
}

/**
 * SUBGRAPH_TIMEOUT or SUBGRAPH_UNAVAILABLE for a failure of the subgraph itself (429, its way of saying it is
 * busy, included), SUBGRAPH_REQUEST_REFUSED for any other 4xx answer; null for anything else.
 */
export function subgraphFailureCode(error: unknown): SubgraphFailureCode | null {
  const cause = error as { name?: string; code?: string; extensions?: { response?: { status?: number } }; cause?: { code?: string } };
  if (cause.name === 'TimeoutError' || cause.name === 'AbortError' || cause.code === 'UND_ERR_ABORTED') return ErrorCode.SUBGRAPH_TIMEOUT;
  const status = cause.extensions?.response?.status;
  if (status === 429 || status === 502 || status === 503 || status === 504) return ErrorCode.SUBGRAPH_UNAVAILABLE;
  if (status !== undefined && status >= 400 && status < 500) return ErrorCode.SUBGRAPH_REQUEST_REFUSED;
  const network = cause.code ?? cause.cause?.code ?? '';
  return /^(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EHOSTUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT)$/.test(network)
    ? ErrorCode.SUBGRAPH_UNAVAILABLE
    : null;
}

/** The response key a subgraph fetch fills: its first root field, or the first field under `_entities`. */
function firstResponseKey(query: string | undefined): string[] {
  if (!query) return [];
  try {
    const operation = parse(query).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    let selection = operation?.kind === Kind.OPERATION_DEFINITION ? operation.selectionSet.selections[0] : undefined;
    if (selection?.kind === Kind.FIELD && selection.name.value === '_entities') {
      const inner = selection.selectionSet?.selections.find((s) => s.kind === Kind.INLINE_FRAGMENT);
      selection =
        inner?.kind === Kind.INLINE_FRAGMENT
          ? inner.selectionSet.selections.find((s) => s.kind === Kind.FIELD && s.name.value !== '__typename')
          : undefined;
    }
    return selection?.kind === Kind.FIELD ? [selection.alias?.value ?? selection.name.value] : [];
  } catch {
    return [];
  }
}
