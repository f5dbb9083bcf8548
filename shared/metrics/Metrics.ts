import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import client from 'prom-client';
import { ErrorCode } from '../errorRegistry';
import type { Route } from '../http/http';
import { fixedFieldsLogger, type Logger } from '../logger';

/** Latency buckets in seconds: from a cached 2 ms answer to a 10 s timeout. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Keeps a label's distinct values bounded: operation and client names come from clients, and a metric
 * with a label per arbitrary string is a memory leak (and a scrape that grows without end). The first
 * `max` well-formed values are kept; the rest are `(other)`.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(
    private readonly max: number,
    private readonly pattern = /^[\w.@/:+-]{1,64}$/,
  ) {}

  of(value: string | null | undefined, missing = '(none)'): string {
    if (!value) return missing;
    if (!this.pattern.test(value)) return '(invalid)';
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return '(other)';
    this.seen.add(value);
    return value;
  }
}

/** Which client names and versions a `ClientLabels` keeps as sent (the rest are `(invalid)`). */
export interface ClientLabelPatterns {
  /** `apollographql-client-name`; default: a metric label's 1 to 64 of letters, digits and `_ . @ / : + -`. */
  clientName?: RegExp;
  /** `apollographql-client-version`; default: as the name. */
  clientVersion?: RegExp;
}

/**
 * The bounded labels of what clients name themselves: the operation name (a GraphQL name, first 200 kept), the
 * client name (`apollographql-client-name`, first 50) and version (`apollographql-client-version`, first 100).
 * The metrics and the router's usage store each keep one, so neither grows with what clients send; the store,
 * which is no Prometheus label, accepts more forms of name and version (`patterns`).
 */
export class ClientLabels {
  private readonly operations = new BoundedLabel(200, /^[_A-Za-z][_0-9A-Za-z]{0,63}$/);
  private readonly clientNames: BoundedLabel;
  private readonly clientVersions: BoundedLabel;

  constructor(patterns: ClientLabelPatterns = {}) {
    this.clientNames = new BoundedLabel(50, patterns.clientName);
    this.clientVersions = new BoundedLabel(100, patterns.clientVersion);
  }

  operation(name: string | null | undefined, missing = '(anonymous)'): string {
    return this.operations.of(name, missing);
  }

  clientName(name: string | null | undefined, missing?: string): string {
    return this.clientNames.of(name, missing);
  }

  clientVersion(version: string | null | undefined, missing?: string): string {
    return this.clientVersions.of(version, missing);
  }
}

export type Outcome = 'success' | 'partial' | 'error' | 'refused';

/**
 * One process's Prometheus metrics, in a registry of its own (several servers can share a test process):
 * the process's defaults (CPU, memory, event-loop lag, GC) plus GraphQL request counts, latencies and
 * error codes. Router and subgraphs add their own with `counter`, `gauge`, `histogram`.
 */
export class Metrics {
  readonly registry = new client.Registry();
  readonly requests: client.Counter<'operation' | 'client_name' | 'client_version' | 'outcome'>;
  readonly requestDuration: client.Histogram<'operation' | 'outcome'>;
  readonly errors: client.Counter<'code'>;
  private readonly labels = new ClientLabels();

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    this.requests = this.counter('graphql_requests_total', 'GraphQL requests by operation name, client and outcome.', [
      'operation',
      'client_name',
      'client_version',
      'outcome',
    ]);
    this.requestDuration = this.histogram('graphql_request_duration_seconds', 'GraphQL request latency.', ['operation', 'outcome']);
    this.errors = this.counter('graphql_errors_total', 'Errors returned to callers, by stable code.', ['code']);
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: client.Counter<L>) => void) {
    return new client.Counter<L>({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: client.Gauge<L>) => void) {
    return new client.Gauge<L>({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets: number[] = LATENCY_BUCKETS) {
    return new client.Histogram<L>({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** Prometheus text exposition of everything registered. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Counts one request and its error codes, and observes its latency. */
  recordRequest(request: {
    operation: string | null | undefined;
    headers: IncomingHttpHeaders | Record<string, string | undefined> | undefined;
    outcome: Outcome;
    seconds: number;
    codes: readonly string[];
  }): { operation: string; clientName: string; clientVersion: string } {
    const operation = this.labels.operation(request.operation);
    const headers = request.headers as IncomingHttpHeaders | undefined;
    const clientName = this.labels.clientName(header(headers?.['apollographql-client-name']));
    const clientVersion = this.labels.clientVersion(header(headers?.['apollographql-client-version']));
    this.requests.inc({ operation, client_name: clientName, client_version: clientVersion, outcome: request.outcome });
    this.requestDuration.observe({ operation, outcome: request.outcome }, request.seconds);
    for (const code of request.codes) this.errors.inc({ code });
    return { operation, clientName, clientVersion };
  }
}

/** `/metrics`: the registry in Prometheus text (the router serves it on its admin port, a subgraph on its own). */
export function metricsRoute(metrics: Metrics): Route {
  return {
    path: '/metrics',
    handler: async (_req, res) => {
      const body = await metrics.render();
      res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The stable code of a formatted error (`INTERNAL_SERVER_ERROR` without one). */
function codeOf(error: { extensions?: Record<string, unknown> }): string {
  const code = error.extensions?.code;
  return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * Counts and times every GraphQL request Apollo Server handles, by operation name, client
 * (`apollographql-client-name` / `-version`) and outcome (success, partial: data and errors, error: no data),
 * counts the error codes sent back, and logs one line per request: operation, client, duration, outcome,
 * codes (inside the request's span, so the line carries its trace id).
 */
export function requestMetricsPlugin<TContext extends BaseContext>(metrics: Metrics, logger: Logger): ApolloServerPlugin<TContext> {
  // The line's fields are the ones below, whatever the request held: nothing in it is ever redacted.
  const requestLog = fixedFieldsLogger(logger);
  return {
    async requestDidStart(requestContext) {
      const started = performance.now();
      const headers = requestContext.request.http?.headers;
      const clientHeaders = {
        'apollographql-client-name': headers?.get('apollographql-client-name') ?? undefined,
        'apollographql-client-version': headers?.get('apollographql-client-version') ?? undefined,
      };
      return {
        async willSendResponse(context) {
          const body = context.response.body;
          const result = body.kind === 'single' ? body.singleResult : null;
          const errors = result?.errors ?? [];
          const codes = errors.map(codeOf);
          const hasData = result?.data !== undefined && result?.data !== null;
          const outcome: Outcome = codes.length === 0 ? 'success' : hasData ? 'partial' : 'error';
          const seconds = (performance.now() - started) / 1000;
          const labels = metrics.recordRequest({ operation: context.operationName, headers: clientHeaders, outcome, seconds, codes });
          requestLog.info(
            {
              operation: labels.operation,
              client: labels.clientName,
              clientVersion: labels.clientVersion,
              durationMs: Math.round(seconds * 10_000) / 10,
              outcome,
              ...(codes.length > 0 ? { codes: [...new Set(codes)] } : {}),
            },
            'graphql request',
          );
        },
      };
    },
  };
}
