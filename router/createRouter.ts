import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  type Caller,
  closeServer,
  createHttpServer,
  ErrorCode,
  HttpError,
  handleGraphQLRequest,
  type Logger,
  listen,
  Metrics,
  maskUnexpectedError,
  metricsRoute,
  type RequestHandler,
  requestMetricsPlugin,
  sendJson,
  USER_ID_HEADER,
  USER_SCOPES_HEADER,
} from '../shared';
import { AuthorizingGateway } from './AuthorizingGateway';
import { AuthenticationFailed, createAuthenticator } from './auth/authenticate';
import { type BudgetStore, InMemoryBudgetStore, RedisBudgetStore } from './demand/budget';
import { CostModel } from './demand/CostModel';
import { clientKeyOf } from './demand/clientKey';
import { countTokens } from './demand/countTokens';
import { DemandCode, type DemandContext, type DemandCounters, demandControlPlugin, refusal } from './demand/demandControlPlugin';
import { CostEstimator } from './demand/estimateCost';
import { ThrottleMemory } from './demand/ThrottleMemory';
import { installGatewayFastPaths } from './gatewayFastPaths';
import { createExplorer } from './http/explorerPage';
import { TrustedDocuments } from './persisted/TrustedDocuments';
import { type RouterConfig, subgraphSecretFor } from './RouterConfig';
import { CircuitBreaker } from './resilience/CircuitBreaker';
import { LoadShedder } from './resilience/LoadShedder';
import { RetryBudget } from './resilience/RetryBudget';
import { type SubgraphCallStats, SubgraphDataSource } from './SubgraphDataSource';
import { SupergraphSource } from './SupergraphSource';
import { createSubgraphFetcher, deduplicatingQueries } from './subgraphFetcher';
import { UsageRecorder } from './usage/UsageRecorder';
import { UsageStore } from './usage/UsageStore';

/** What each operation knows about its caller. */
export interface RouterContext extends DemandContext {
  /** The caller, from a verified bearer token; anonymous without one. */
  caller: Caller;
  /** `performance.now()` past which no subgraph call starts (the request-wide deadline). */
  deadline: number;
}

/** Counters a router keeps about itself (tests and benchmarks read them; metrics will export them). */
export interface RouterStats {
  /** HTTP requests the router sent to subgraphs. */
  subgraphRequests: number;
  demand: DemandCounters;
  /** Per subgraph: calls, retries, failures by code, calls refused by an open circuit. */
  subgraphs: Record<string, SubgraphCallStats>;
  /** Requests refused with 503 OVERLOADED while the event loop lagged. */
  shed: number;
}

export interface Router {
  apollo: ApolloServer<RouterContext>;
  gateway: ApolloGateway;
  stats: RouterStats;
  /** Writes the schema usage counted so far (it is written every few seconds anyway). */
  flushUsage(): Promise<void>;
  httpServer: http.Server;
  adminServer: http.Server;
  /** Each subgraph's circuit breaker, by subgraph name. */
  breakers: ReadonlyMap<string, CircuitBreaker>;
  /** The router's Prometheus metrics, served on the admin port at `/metrics`. */
  metrics: Metrics;
  /** Listens on the public and admin ports (0 picks free ones) and resolves with both. */
  listen(): Promise<{ port: number; adminPort: number }>;
  /** Readiness 503 first (for `SHUTDOWN_DRAIN_DELAY_MS`), then stops accepting, finishes in-flight requests, closes the subgraph pool. */
  stop(): Promise<void>;
}

const CORS_ALLOWED_HEADERS = [
  'content-type',
  'accept',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
].join(', ');

/**
 * A response built for a signed-in caller is never shared: its cache scope is PRIVATE whatever the subgraphs'
 * hints say (a CDN keeps only public responses), and responses vary by Authorization.
 */
function privateWhenSignedIn(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(context) {
          if (context.contextValue.caller.userId) context.overallCachePolicy.restrict({ scope: 'PRIVATE' });
        },
        async willSendResponse(context) {
          context.response.http.headers.set('vary', 'origin, authorization');
        },
      };
    },
  };
}

const CIRCUIT_STATES: Record<string, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Metrics read from the router's own counters when Prometheus scrapes. */
function registerRouterCollectors(
  metrics: Metrics,
  stats: RouterStats,
  breakers: ReadonlyMap<string, CircuitBreaker>,
  shedder: LoadShedder,
) {
  metrics.gauge('subgraph_circuit_state', 'Circuit breaker per subgraph: 0 closed, 1 half-open, 2 open.', ['subgraph'], function collect() {
    for (const [name, breaker] of breakers) this.set({ subgraph: name }, CIRCUIT_STATES[breaker.current]);
  });
  metrics.counter('subgraph_retries_total', 'Retried subgraph calls (queries only).', ['subgraph'], function collect() {
    this.reset();
    for (const [name, calls] of Object.entries(stats.subgraphs)) this.inc({ subgraph: name }, calls.retries);
  });
  metrics.counter(
    'subgraph_short_circuited_total',
    'Subgraph calls refused at once because the circuit was open.',
    ['subgraph'],
    function collect() {
      this.reset();
      for (const [name, calls] of Object.entries(stats.subgraphs)) this.inc({ subgraph: name }, calls.shortCircuited);
    },
  );
  metrics.counter('router_shed_total', 'Requests refused with 503 OVERLOADED while the event loop lagged.', [], function collect() {
    this.reset();
    this.inc(stats.shed);
  });
  metrics.gauge(
    'router_event_loop_lag_seconds',
    'Worst event-loop delay in the last second (what load shedding looks at).',
    [],
    function collect() {
      this.set(shedder.lagMs / 1000);
    },
  );
  metrics.counter('demand_refusals_total', 'Operations refused by demand control, by code.', ['code'], function collect() {
    this.reset();
    for (const [code, count] of Object.entries(stats.demand.refused)) this.inc({ code }, count);
  });
  metrics.counter(
    'demand_measured_over_total',
    'Operations over a limit in measure mode (let through), by code.',
    ['code'],
    function collect() {
      this.reset();
      for (const [code, count] of Object.entries(stats.demand.measuredOver)) this.inc({ code }, count);
    },
  );
}

/** Counts requests refused before GraphQL runs (401, 413, 429, 503…) as `refused`, with their code. */
function countRefusals(metrics: Metrics, handler: RequestHandler): RequestHandler {
  return async (req, res, url) => {
    try {
      await handler(req, res, url);
    } catch (error) {
      if (error instanceof HttpError) {
        metrics.recordRequest({ operation: null, headers: req.headers, outcome: 'refused', seconds: 0, codes: [error.code] });
      }
      throw error;
    }
  };
}

/** Whether a subgraph's `/health/ready` answers 200 within a second. */
async function subgraphReady(graphqlUrl: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health/ready', graphqlUrl), { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Names of the subgraphs in a supergraph SDL with their URLs (`@join__graph(name:, url:)`). */
export function subgraphsOf(supergraphSdl: string): { name: string; url: string }[] {
  return [...supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]*)"\)/g)].map(([, name, url]) => ({ name, url }));
}

/**
 * Builds the router: Apollo Gateway over the supergraph at `config.supergraphPath`, Apollo Server, the
 * public HTTP server (`/graphql`, landing page, CORS) and the admin server (`/health/*`). Nothing listens
 * until `listen()`.
 */
export async function createRouter(options: { config: RouterConfig; logger: Logger }): Promise<Router> {
  const { config, logger } = options;
  if (config.gatewayFastPaths) installGatewayFastPaths();
  const source = await SupergraphSource.open(
    { path: config.supergraphPath, url: config.supergraphUrl, pollIntervalMs: config.supergraphPollIntervalMs },
    logger,
  );
  const authenticate = createAuthenticator(config.auth);
  // Resolved now, so that production refuses to start without a credential for every subgraph.
  const credentials = new Map(subgraphsOf(source.current.sdl).map(({ name }) => [name, subgraphSecretFor(config, name)]));
  const { withTimeout, close: closeFetcher } = createSubgraphFetcher({
    idleTimeoutMs: config.subgraphIdleTimeoutMs,
    connectionsPerSubgraph: config.subgraphConnections,
  });
  const stats: RouterStats = { subgraphRequests: 0, demand: { refused: {}, measuredOver: {} }, subgraphs: {}, shed: 0 };
  const breakers = new Map<string, CircuitBreaker>();
  const retryBudgets = new Map<string, RetryBudget>();
  const shedder = new LoadShedder(config.maxEventLoopLagMs);
  const metrics = new Metrics('router');
  const fetchDuration = metrics.histogram('subgraph_fetch_duration_seconds', 'Subgraph call latency, by subgraph and outcome.', [
    'subgraph',
    'outcome',
  ]);
  const fetchErrors = metrics.counter('subgraph_fetch_errors_total', 'Failed subgraph calls, by subgraph and code.', ['subgraph', 'code']);
  registerRouterCollectors(metrics, stats, breakers, shedder);
  const costBuckets = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];
  const estimatedCost = metrics.histogram('demand_estimated_cost', 'Estimated (requested) cost of answered operations.', [], costBuckets);
  const actualCost = metrics.histogram('demand_actual_cost', 'Actual cost of answered operations, from the response.', [], costBuckets);
  const countRequests =
    (fetcher: ReturnType<typeof withTimeout>): ReturnType<typeof withTimeout> =>
    (url, init) => {
      stats.subgraphRequests += 1;
      return fetcher(url, init);
    };
  const { demand } = config;
  const budget: BudgetStore | null =
    demand.budget.mode === 'off'
      ? null
      : demand.redisUrl
        ? new RedisBudgetStore(demand.redisUrl, demand.budget, logger)
        : new InMemoryBudgetStore(demand.budget);
  let estimator: { estimator: CostEstimator; version: string } | null = null;
  const subgraphUrlsByName = new Map<string, string>();
  const gateway = new ApolloGateway({
    supergraphSdl: source.manager(),
    logger,
    buildService: ({ name, url }) => {
      const override = config.subgraphUrls[name.toUpperCase()];
      const timeoutMs = config.subgraphTimeouts[name.toUpperCase()] ?? config.subgraphTimeoutMs;
      // Kept per name across supergraph reloads: a reload must not reset a failing subgraph's circuit.
      let breaker = breakers.get(name);
      if (!breaker) {
        breaker = new CircuitBreaker(name, config.breaker, Date.now, (state) => logger.warn({ subgraph: name, state }, 'circuit breaker'));
        breakers.set(name, breaker);
      }
      let retryBudget = retryBudgets.get(name);
      if (!retryBudget) {
        retryBudget = new RetryBudget(config.retry.budgetPercent / 100);
        retryBudgets.set(name, retryBudget);
      }
      const source = new SubgraphDataSource(
        {
          url: override ?? url,
          fetcher: config.deduplicateQueries
            ? deduplicatingQueries(countRequests(withTimeout(timeoutMs)), [USER_ID_HEADER, USER_SCOPES_HEADER])
            : countRequests(withTimeout(timeoutMs)),
        },
        credentials.get(name) ?? subgraphSecretFor(config, name),
        name,
        {
          timeoutMs,
          maxRetries: config.retry.maxRetries,
          retryBaseDelayMs: config.retry.baseDelayMs,
          breaker,
          retryBudget,
          observe: (outcome, seconds) => {
            fetchDuration.observe({ subgraph: name, outcome }, seconds);
            if (outcome !== 'ok') fetchErrors.inc({ subgraph: name, code: outcome === 'error' ? 'SUBGRAPH_ERROR' : outcome });
          },
        },
      );
      if (stats.subgraphs[name]) Object.assign(source.stats, stats.subgraphs[name]);
      stats.subgraphs[name] = source.stats;
      subgraphUrlsByName.set(name, override ?? url);
      return source;
    },
  });
  const throttled = new ThrottleMemory();
  /** The token limit, counted before Apollo Server parses (its parser's limit cannot say how many there were). */
  const checkTokens = (query: string) => {
    const tokens = countTokens(query);
    if (tokens <= demand.maxTokens.max) return null;
    const code = DemandCode.MAX_TOKENS_EXCEEDED;
    if (demand.maxTokens.mode === 'measure') {
      stats.demand.measuredOver[code] = (stats.demand.measuredOver[code] ?? 0) + 1;
      logger.warn({ tokens, limit: demand.maxTokens.max }, 'over the token limit in measure mode: let through');
      return null;
    }
    stats.demand.refused[code] = (stats.demand.refused[code] ?? 0) + 1;
    const details = { measured: tokens, limit: demand.maxTokens.max };
    return refusal(code, `The document has ${tokens} tokens; the limit is ${demand.maxTokens.max}.`, details, demand.revealLimits);
  };
  const usage = config.usage.enabled
    ? new UsageRecorder(await UsageStore.open(config.usage.database), logger, config.usage.flushIntervalMs)
    : null;
  usage?.start();
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    // Rebuilt with the schema on every load and hot reload: estimates are cached per supergraph version.
    const loaded = source.versionOfGatewaySdl(coreSupergraphSdl);
    if (!loaded) throw new Error('The gateway loaded a supergraph the router did not prepare');
    const costModel = new CostModel(loaded.prepared.document);
    estimator = {
      estimator: new CostEstimator(costModel, apiSchema, { defaultListSize: demand.defaultListSize }),
      version: loaded.version,
    };
  });
  // Production keeps its plain page whatever the config says (RouterConfig refuses EXPLORER there).
  const explorer = createExplorer(config.production ? 'plain' : config.explorer);
  const trustedDocuments = TrustedDocuments.load(config.trustedDocuments.mode, config.trustedDocuments.dir);
  if (trustedDocuments.mode !== 'off') logger.info({ mode: trustedDocuments.mode, lists: trustedDocuments.clients }, 'trusted documents');
  const apollo = new ApolloServer<RouterContext>({
    gateway: new AuthorizingGateway(gateway, (gatewaySdl) => source.versionOfGatewaySdl(gatewaySdl)?.prepared),
    logger,
    introspection: !config.production,
    // The process's runMain owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: !config.production,
    // No "Did you mean …?" in production: suggestions map the schema for anyone probing it.
    hideSchemaDetailsFromClientErrors: config.production,
    // Automatic persisted queries would let any client register any document: off when only trusted ones may run.
    ...(trustedDocuments.mode === 'enforce' ? { persistedQueries: false as const } : {}),
    plugins: [
      privateWhenSignedIn(),
      // Sandbox's plugin when EXPLORER=sandbox; otherwise the router serves the page itself (explorer.serveLandingPage).
      explorer.plugin(),
      demandControlPlugin({
        config: demand,
        budget,
        logger,
        counters: stats.demand,
        current: () => estimator,
        throttled,
        observe: (requested, actual) => {
          estimatedCost.observe(requested);
          actualCost.observe(actual);
        },
      }),
      requestMetricsPlugin<RouterContext>(metrics, logger),
      ...(usage ? [usage.plugin(() => source.current.version)] : []),
    ],
    formatError: (formatted, error) => maskUnexpectedError(formatted, error, (cause) => logger.error({ err: cause }, 'unexpected error')),
  });
  await apollo.start();

  const corsAnyOrigin = config.corsOrigins.includes('*');
  const applyCors = (req: IncomingMessage, res: ServerResponse): void => {
    const origin = req.headers.origin;
    if (!origin || !(corsAnyOrigin || config.corsOrigins.includes(origin))) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'origin');
    // A browser client reads Retry-After (429 THROTTLED, 503 OVERLOADED) only when CORS exposes it.
    res.setHeader('access-control-expose-headers', 'retry-after');
  };

  const httpServer = createHttpServer(
    [
      {
        path: '/graphql',
        handler: countRefusals(metrics, async (req, res, url) => {
          // The deadline counts from arrival: time spent reading the body and planning is part of it.
          const deadline = performance.now() + config.requestTimeoutMs;
          if (shedder.shouldShed()) {
            stats.shed += 1;
            throw new HttpError(503, ErrorCode.OVERLOADED, 'The router is overloaded. Retry shortly.', {
              'retry-after': '1',
              connection: 'close',
            });
          }
          applyCors(req, res);
          if (req.method === 'OPTIONS') {
            res.writeHead(204, {
              'access-control-allow-methods': 'GET, POST, OPTIONS',
              'access-control-allow-headers': CORS_ALLOWED_HEADERS,
              'access-control-max-age': '600',
            });
            res.end();
            return;
          }
          if (explorer.serveLandingPage(req, res, url)) return;
          let caller: Caller;
          try {
            caller = await authenticate(req);
          } catch (error) {
            if (!(error instanceof AuthenticationFailed)) throw error;
            // Refused before the body is read or anything executes.
            throw new HttpError(401, ErrorCode.UNAUTHENTICATED, error.message, { 'www-authenticate': 'Bearer error="invalid_token"' });
          }
          const clientKey = clientKeyOf(req, caller, demand);
          await handleGraphQLRequest(req, res, url, {
            server: apollo,
            // In measure mode bodies above the limit are logged, and still capped far above it.
            maxBodyBytes: demand.bodyMode === 'enforce' ? config.maxBodyBytes : Math.max(config.maxBodyBytes, 16 * 1024 * 1024),
            onBodyBytes: (bytes) => {
              if (bytes > config.maxBodyBytes) {
                stats.demand.measuredOver.PAYLOAD_TOO_LARGE = (stats.demand.measuredOver.PAYLOAD_TOO_LARGE ?? 0) + 1;
                logger.warn({ bytes, limit: config.maxBodyBytes }, 'body over the limit in measure mode: let through');
              }
            },
            batching: demand.batching,
            resolveDocument: (operation, headers) =>
              trustedDocuments.resolve(operation, {
                name: headers.get('apollographql-client-name'),
                version: headers.get('apollographql-client-version'),
              }),
            // Refusals answered before Apollo Server (trusted documents, the token limit) count like the HTTP ones.
            onRequestError: (error) =>
              metrics.recordRequest({
                operation: null,
                headers: req.headers,
                outcome: 'refused',
                seconds: 0,
                codes: [String(error.extensions.code)],
              }),
            inspect: (operation) => {
              // Only refusals in enforce mode are remembered: otherwise there is nothing to look up (or hash).
              const left =
                demand.budget.mode === 'enforce' && !throttled.empty
                  ? throttled.secondsLeft(
                      clientKey,
                      ThrottleMemory.operationKey(operation.query, operation.operationName, operation.variables),
                    )
                  : 0;
              if (left > 0) {
                stats.demand.refused.THROTTLED = (stats.demand.refused.THROTTLED ?? 0) + 1;
                return new HttpError(
                  429,
                  ErrorCode.THROTTLED,
                  `Retry this operation in ${left} s: its client has not got the points for it yet.`,
                  {
                    'retry-after': String(left),
                  },
                );
              }
              return checkTokens(operation.query);
            },
            context: async () => ({ caller, clientKey, deadline }),
          });
        }),
      },
      ...explorer.routes,
    ],
    (error) => logger.error({ err: error }, 'request failed'),
    config.limits,
  );

  const adminServer = createHttpServer(
    [
      { path: '/health/live', handler: (_req, res) => sendJson(res, 200, { status: 'live' }) },
      metricsRoute(metrics),
      {
        path: '/health/ready',
        handler: async (_req, res) => {
          if (!ready) throw new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, 'The router is shutting down.');
          const { version, loadedAt, sdl } = source.current;
          // Ready as long as a supergraph is loaded: one dead subgraph must not take every replica out of the
          // load balancer (the others' data is still served). The body says how each subgraph is doing.
          const subgraphs = await Promise.all(
            subgraphsOf(sdl).map(async ({ name, url }) => ({
              name,
              reachable: await subgraphReady(subgraphUrlsByName.get(name) ?? url),
              circuit: breakers.get(name)?.current ?? 'closed',
            })),
          );
          sendJson(res, 200, {
            status: 'ready',
            supergraph: { version, loadedAt: loadedAt.toISOString(), lastReloadError: source.lastError },
            subgraphs,
          });
        },
      },
    ],
    (error) => logger.error({ err: error }, 'admin request failed'),
  );
  let ready = true;

  return {
    apollo,
    gateway,
    stats,
    flushUsage: async () => usage?.flush(),
    httpServer,
    adminServer,
    breakers,
    metrics,
    async listen() {
      shedder.start();
      const port = await listen(httpServer, config.port);
      const adminPort = await listen(adminServer, config.adminPort);
      return { port, adminPort };
    },
    async stop() {
      // Readiness fails first, so a load balancer stops sending before connections are refused.
      ready = false;
      if (config.limits.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.limits.drainDelayMs));
      await closeServer(httpServer, config.limits.shutdownGraceMs);
      shedder.stop();
      await apollo.stop();
      await closeServer(adminServer);
      await closeFetcher();
      await budget?.close();
      await usage?.stop();
      source.stop();
    },
  };
}
