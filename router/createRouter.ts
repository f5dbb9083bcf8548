import type http from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import {
  closeServer,
  createHttpServer,
  type Logger,
  listen,
  type Metrics,
  maskUnexpectedError,
  requestMetricsPlugin,
  withoutStackTrace,
} from '../shared';
import { createAuthenticator } from './auth/createAuthenticator';
import { createEntityCache } from './cache/createEntityCache';
import type { EntityCache } from './cache/EntityCache';
import { entityCachePlugin } from './cache/entityCachePlugin';
import { DemandControl } from './demand/DemandControl';
import { AuthorizingGateway } from './gateway/AuthorizingGateway';
import { CollisionFreeGateway } from './gateway/CollisionFreeGateway';
import { createSubgraphFetcher } from './gateway/createSubgraphFetcher';
import { activeGatewayFastPaths, installGatewayFastPaths } from './gateway/fastPaths/installGatewayFastPaths';
import { installedVersions, type PackageVersions } from './gateway/fastPaths/versionCheck';
import { NamedLabels } from './gateway/overrideLabels/overrideLabels';
import { LabelKeyedPlans, ProgressiveOverrideGateway } from './gateway/overrideLabels/ProgressiveOverrideGateway';
import { installOverrideLabelHook } from './gateway/overrideLabels/plannerHook';
import { SubgraphServices } from './gateway/SubgraphServices';
import { unsupportedOperationsPlugin } from './gateway/unsupportedOperationsPlugin';
import { adminRoutes } from './http/adminRoutes';
import { corsPolicy } from './http/corsPolicy';
import { graphqlRoute } from './http/graphqlRoute';
import { landingPage } from './http/landingPage';
import { privateWhenSignedIn } from './http/privateWhenSignedIn';
import { registerEntityCacheMetrics } from './metrics/entityCacheMetrics';
import { RouterMetrics } from './metrics/RouterMetrics';
import { emptyRouterStats, type RouterStats } from './metrics/RouterStats';
import { registerSupergraphMetrics } from './metrics/supergraphMetrics';
import { RedisKeyValueCache } from './persisted/RedisKeyValueCache';
import { TrustedDocuments } from './persisted/TrustedDocuments';
import { type RouterConfig, subgraphSecretFor } from './RouterConfig';
import type { RouterContext } from './RouterContext';
import type { CircuitBreaker } from './resilience/CircuitBreaker';
import { LoadShedder } from './resilience/LoadShedder';
import { SupergraphSource } from './supergraph/SupergraphSource';
import { subgraphsOf } from './supergraph/subgraphsOf';
import { UsageRecorder } from './usage/UsageRecorder';
import { UsageStore } from './usage/UsageStore';
import { PlanWarmer, skippedWhenWarming, type WarmDocument, type WarmupReport } from './warmup/PlanWarmer';

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
  /** The entity cache (null when `ENTITY_CACHE=off`). */
  entityCache: EntityCache | null;
  /** Listens on the public and admin ports (0 picks free ones) and resolves with both. */
  listen(): Promise<{ port: number; adminPort: number }>;
  /** Resolves when the query-plan warm-up is over (done, or out of time): readiness turns green then. */
  warmed: Promise<WarmupReport>;
  /** Readiness 503 first (for `SHUTDOWN_DRAIN_DELAY_MS`), then stops accepting, finishes in-flight requests, closes the subgraph pool. */
  stop(): Promise<void>;
}

/**
 * Builds the router from its parts, in the order a request meets them: the supergraph and its subgraphs, the
 * gateway that plans and calls them, Apollo Server with its plugins, and the public and admin HTTP servers.
 * Each part lives in the folder of its concern; this function only connects them. Nothing listens until
 * `listen()`.
 */
export async function createRouter(options: {
  config: RouterConfig;
  logger: Logger;
  /** The versions of the patched Apollo packages the guards check (default: the installed ones; tests fake them). */
  gatewayVersions?: PackageVersions;
}): Promise<Router> {
  const { config, logger } = options;
  const versions = options.gatewayVersions ?? installedVersions();
  // The gateway's internals the router replaces, only on the versions they were tested with; the log says which
  // are active (a process-wide install by an earlier router counts too) and why any are not.
  if (config.gatewayFastPaths) {
    const report = installGatewayFastPaths(versions);
    if (report.refused)
      logger.warn({ active: report.active, reason: report.refused }, 'gateway fast paths off: the stock gateway path serves');
    else logger.info({ active: report.active }, 'gateway fast paths');
  } else {
    logger.info({ active: activeGatewayFastPaths() }, 'gateway fast paths not installed (ROUTER_GATEWAY_FAST_PATHS=false)');
  }
  // Progressive @override: the planner hook, guarded like the fast paths; the operator's named labels (a file
  // the router refuses to start with when it is not valid).
  let progressiveOverride = false;
  if (config.overrideLabels.enabled) {
    const hook = installOverrideLabelHook(versions);
    progressiveOverride = hook.refused === null;
    if (hook.refused) logger.warn({ reason: hook.refused }, 'progressive @override off: every override label is planned as off');
    else logger.info({ namedLabelsFile: config.overrideLabels.file }, 'progressive @override on: each request’s labels are planned');
  }
  const namedLabels = new NamedLabels(config.overrideLabels.file);

  // The supergraph, watched for new versions; a credential for each of its subgraphs, resolved now so that
  // production refuses to start without one.
  const source = await SupergraphSource.open(
    {
      path: config.supergraphPath,
      url: config.supergraphUrl,
      cachePath: config.supergraphCachePath,
      pollIntervalMs: config.supergraphPollIntervalMs,
      subgraphUrls: config.subgraphUrls,
    },
    logger,
  );
  source.onPoll(() => {
    try {
      if (namedLabels.reload()) logger.info({ labels: Object.fromEntries(namedLabels.labels) }, 'override labels reloaded');
    } catch (error) {
      logger.error({ err: error }, 'refused OVERRIDE_LABELS_FILE; the previous setting stays');
    }
  });
  const authenticate = createAuthenticator(config.auth);
  const credentials = new Map(subgraphsOf(source.current.prepared.document).map(({ name }) => [name, subgraphSecretFor(config, name)]));

  // Subgraph calls: one pool, and per subgraph a data source with its timeout, retries and circuit breaker.
  const fetcher = createSubgraphFetcher({
    idleTimeoutMs: config.subgraphIdleTimeoutMs,
    connectionsPerSubgraph: config.subgraphConnections,
  });
  const stats = emptyRouterStats();
  // The entity cache (off unless ENTITY_CACHE says otherwise): told each supergraph the gateway loads, below.
  const entityCache = await createEntityCache(config.entityCache, logger);
  const subgraphs = new SubgraphServices({
    config,
    withTimeout: fetcher.withTimeout,
    credentials,
    stats,
    logger,
    observe: (name, outcome, seconds) => metrics.observeFetch(name, outcome, seconds),
    entityCache,
  });
  const shedder = new LoadShedder(config.maxEventLoopLagMs);
  const metrics = new RouterMetrics(stats, subgraphs.breakers, shedder);
  registerSupergraphMetrics(metrics.metrics, source);
  if (entityCache) registerEntityCacheMetrics(metrics.metrics, entityCache);
  const demand = new DemandControl({
    config: config.demand,
    maxBodyBytes: config.maxBodyBytes,
    counters: stats.demand,
    logger,
    observe: (requested, actual) => metrics.observeCost(requested, actual),
  });
  await demand.ready();

  // The gateway over the supergraph; each load and hot reload also rebuilds the cost estimator.
  const gateway = new ApolloGateway({ supergraphSdl: source.manager(), logger, buildService: (service) => subgraphs.build(service) });
  // Usage of schema coordinates, and the shared record of the most used documents (what warming plans).
  const usageStore = config.usage.enabled ? await UsageStore.open(config.usage.database) : null;
  const usage = usageStore ? new UsageRecorder(usageStore, logger, config.usage.flushIntervalMs, config.warmup.maxDocuments) : null;
  usage?.start();
  let servedSchema: GraphQLSchema | null = null;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    const loaded = source.versionOfGatewaySdl(coreSupergraphSdl);
    if (!loaded) throw new Error('The gateway loaded a supergraph the router did not prepare');
    demand.useSupergraph(loaded.prepared.document, apiSchema, loaded.version);
    servedSchema = apiSchema;
    entityCache?.useSupergraph(apiSchema, loaded.version, loaded.prepared);
  });
  const trustedDocuments = TrustedDocuments.load(config.trustedDocuments.mode, config.trustedDocuments.dir);
  if (trustedDocuments.mode !== 'off') logger.info({ mode: trustedDocuments.mode, lists: trustedDocuments.clients }, 'trusted documents');

  // Automatic persisted queries: off when only trusted documents may run (they would let any client register
  // any document); with a cache Redis, a hash registered through one router is served by every one.
  const apqCache =
    trustedDocuments.mode !== 'enforce' && config.apq.redisUrl
      ? new RedisKeyValueCache({
          url: config.apq.redisUrl,
          ttlSeconds: config.apq.ttlSeconds,
          maxEntryBytes: config.apq.maxEntryBytes,
          logger,
        })
      : null;
  await apqCache?.connected;
  if (apqCache && config.apq.sharesBudgetRedis) {
    logger.warn(
      'the APQ cache shares REDIS_URL with the client budgets: budget keys need a Redis with maxmemory-policy noeviction, caches want an eviction policy; set CACHE_REDIS_URL to a Redis of its own',
    );
  }

  // Apollo Server: authorization in front of the gateway (which answers response-key collisions right), then the
  // plugins each request passes.
  // Production keeps its plain page whatever the config says (RouterConfig refuses EXPLORER there).
  const landing = landingPage(config.production ? 'plain' : config.explorer);
  const supergraphOf = (gatewaySdl: string) => source.versionOfGatewaySdl(gatewaySdl)?.prepared;
  const authorizing = new AuthorizingGateway(
    new CollisionFreeGateway(new LabelKeyedPlans(gateway, supergraphOf), supergraphOf),
    supergraphOf,
  );
  const apollo = new ApolloServer<RouterContext>({
    gateway: new ProgressiveOverrideGateway(authorizing, supergraphOf, {
      enabled: progressiveOverride,
      named: namedLabels,
      count: (label, on) => metrics.observeOverrideLabel(label, on),
    }),
    logger,
    introspection: !config.production,
    // The process's runMain owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: !config.production,
    // No "Did you mean …?" in production: suggestions map the schema for anyone probing it.
    hideSchemaDetailsFromClientErrors: config.production,
    persistedQueries:
      trustedDocuments.mode === 'enforce' ? false : { ttl: config.apq.ttlSeconds, ...(apqCache ? { cache: apqCache } : {}) },
    plugins: [
      unsupportedOperationsPlugin(),
      privateWhenSignedIn(),
      landing.plugin,
      // Plan warming's requests spend no budget and count in no metric or usage record.
      skippedWhenWarming(demand.plugin),
      skippedWhenWarming(requestMetricsPlugin<RouterContext>(metrics.metrics, logger)),
      ...(usage ? [skippedWhenWarming(usage.plugin(() => source.current.version))] : []),
      ...(entityCache ? [skippedWhenWarming(entityCachePlugin(entityCache, { development: !config.production }))] : []),
    ],
    formatError: (formatted, error) => {
      const masked = maskUnexpectedError(formatted, error, (cause) => logger.error({ err: cause }, 'unexpected error'));
      // A subgraph's own stack trace comes through the gateway in its error's extensions: never to a client in production.
      return config.production ? withoutStackTrace(masked) : masked;
    },
  });
  await apollo.start();

  // Query plans warmed before readiness turns green (see PlanWarmer for why through the request pipeline):
  // the trusted documents, then the most used documents the routers recorded, within WARM_MAX_DOCUMENTS and
  // WARM_TIMEOUT_MS. Warming runs as a caller holding every scope the supergraph names, so nothing is stripped
  // and the full document's plan is built (callers lacking a scope plan their stripped variant on first use).
  const warmer = new PlanWarmer({
    maxDocuments: config.warmup.maxDocuments,
    timeoutMs: config.warmup.timeoutMs,
    schema: () => {
      if (!servedSchema) throw new Error('No supergraph is loaded');
      return servedSchema;
    },
    logger,
    run: async (document, variables) => {
      const contextValue: RouterContext = {
        caller: { userId: 'plan-warming', scopes: authorizing.scopes },
        deadline: performance.now() + config.requestTimeoutMs,
        clientKey: 'plan-warming',
        warming: true,
      };
      const response = await apollo.executeOperation(
        { query: document.body, variables, ...(document.operationName ? { operationName: document.operationName } : {}) },
        { contextValue },
      );
      // Planned when the operation reached execution: a response with data, null fields included.
      return response.body.kind === 'single' && response.body.singleResult.data !== undefined;
    },
  });
  const warmed = warmer.warm(async () => {
    if (config.warmup.maxDocuments === 0) return [];
    const trusted: WarmDocument[] = trustedDocuments.documents
      .filter((operation) => operation.type !== 'subscription')
      .map((operation) => ({ body: operation.body, operationName: operation.name, from: 'trusted' }));
    const recorded: WarmDocument[] =
      trusted.length < config.warmup.maxDocuments && usageStore
        ? (await usageStore.topDocuments(config.warmup.maxDocuments)).map((row) => ({ ...row, from: 'record' }))
        : [];
    return [...trusted, ...recorded];
  });

  // The public server (`/graphql`) and the admin server (`/health/*`, `/metrics`).
  const httpServer = createHttpServer(
    [
      graphqlRoute({
        apollo,
        requestTimeoutMs: config.requestTimeoutMs,
        shedder,
        stats,
        cors: corsPolicy(config.corsOrigins),
        landingPage: landing,
        authenticate,
        demand,
        trustedDocuments,
        metrics,
      }),
      ...landing.routes,
    ],
    (error) => logger.error({ err: error }, 'request failed'),
    config.limits,
  );
  let ready = true;
  const adminServer = createHttpServer(
    adminRoutes({
      metrics: metrics.metrics,
      source,
      subgraphs,
      ready: () => ready,
      warmup: () => warmer.report,
      entityCache: entityCache && { cache: entityCache, adminToken: config.entityCache.adminToken },
    }),
    (error) => logger.error({ err: error }, 'admin request failed'),
  );

  return {
    apollo,
    gateway,
    stats,
    flushUsage: async () => usage?.flush(),
    httpServer,
    adminServer,
    breakers: subgraphs.breakers,
    metrics: metrics.metrics,
    warmed,
    entityCache,
    async listen() {
      shedder.start();
      const port = await listen(httpServer, config.port);
      const adminPort = await listen(adminServer, config.adminPort);
      return { port, adminPort };
    },
    async stop() {
      // Readiness fails first, so a load balancer stops sending before connections are refused.
      ready = false;
      warmer.stop();
      if (config.limits.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.limits.drainDelayMs));
      await closeServer(httpServer, config.limits.shutdownGraceMs);
      shedder.stop();
      await apollo.stop();
      await closeServer(adminServer);
      await fetcher.close();
      await demand.close();
      apqCache?.close();
      await usage?.stop();
      await entityCache?.close();
      source.stop();
    },
  };
}
