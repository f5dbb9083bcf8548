import { ApolloGateway } from '@apollo/gateway';
import { closeServer, type Logger, listen, requestMetricsPlugin } from '../shared';
import { createAuthenticator } from './auth/createAuthenticator';
import { createEntityCache } from './cache/createEntityCache';
import { entityCachePlugin } from './cache/entityCachePlugin';
import { createApolloServer } from './createApolloServer';
import { DemandControl } from './demand/DemandControl';
import { createSubgraphFetcher } from './gateway/createSubgraphFetcher';
import { installedVersions, type PackageVersions } from './gateway/fastPaths/versionCheck';
import { gatewayLayers } from './gateway/gatewayLayers';
import { installGatewayPatches } from './gateway/installGatewayPatches';
import { SubgraphServices } from './gateway/SubgraphServices';
import { unsupportedOperationsPlugin } from './gateway/unsupportedOperationsPlugin';
import { corsPolicy } from './http/corsPolicy';
import { landingPage } from './http/landingPage';
import { privateWhenSignedIn } from './http/privateWhenSignedIn';
import { createAdminServer, createPublicServer } from './http/servers';
import { registerEntityCacheMetrics } from './metrics/entityCacheMetrics';
import { RouterMetrics } from './metrics/RouterMetrics';
import { emptyRouterStats } from './metrics/RouterStats';
import { registerSupergraphMetrics } from './metrics/supergraphMetrics';
import { automaticPersistedQueries } from './persisted/apqCache';
import { TrustedDocuments } from './persisted/TrustedDocuments';
import type { Router } from './Router';
import { type RouterConfig, subgraphSecretFor } from './RouterConfig';
import type { RouterContext } from './RouterContext';
import { LoadShedder } from './resilience/LoadShedder';
import { SupergraphSource } from './supergraph/SupergraphSource';
import { subgraphsOf } from './supergraph/subgraphsOf';
import { UsageRecorder } from './usage/UsageRecorder';
import { UsageStore } from './usage/UsageStore';
import { skippedWhenWarming } from './warmup/PlanWarmer';
import { startPlanWarming } from './warmup/startPlanWarming';

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
  // The supergraph, watched for new versions; a credential for each subgraph (production refuses to start without).
  const source = await SupergraphSource.openFor(config, logger);
  // The gateway internals the router replaces (fast paths, progressive @override's planner hook), version-guarded.
  const versions = options.gatewayVersions ?? installedVersions();
  const { progressiveOverride, namedLabels } = installGatewayPatches(config, versions, logger, source);
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
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    const loaded = source.versionOfGatewaySdl(coreSupergraphSdl);
    if (!loaded) throw new Error('The gateway loaded a supergraph the router did not prepare');
    demand.useSupergraph(loaded.prepared.document, apiSchema, loaded.version);
    entityCache?.useSupergraph(apiSchema, loaded.version, loaded.prepared);
  });
  const trustedDocuments = TrustedDocuments.load(config.trustedDocuments.mode, config.trustedDocuments.dir);
  if (trustedDocuments.mode !== 'off') logger.info({ mode: trustedDocuments.mode, lists: trustedDocuments.clients }, 'trusted documents');
  const apq = await automaticPersistedQueries(config.apq, trustedDocuments.mode, logger);

  // Production keeps its plain page whatever the config says (RouterConfig refuses EXPLORER there).
  const landing = landingPage(config.production ? 'plain' : config.explorer);
  // Apollo Server over the gateway's layers (override labels, authorization, collisions), then the plugins.
  const { served, authorizing } = gatewayLayers(gateway, source, {
    enabled: progressiveOverride,
    named: namedLabels,
    count: (label, on) => metrics.observeOverrideLabel(label, on),
  });
  const apollo = createApolloServer({
    config,
    logger,
    gateway: served,
    persistedQueries: apq.option,
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
  });
  await apollo.start();

  // Query plans warmed before readiness turns green: trusted documents, then the routers' most used.
  const { warmer, warmed } = startPlanWarming({
    config,
    apollo,
    scopes: () => authorizing.scopes,
    schema: () => gateway.schema ?? null,
    trusted: trustedDocuments.documents,
    recorded: usageStore ? (limit) => usageStore.topDocuments(limit) : null,
    logger,
  });

  // The public server (`/graphql`) and the admin server (`/health/*`, `/metrics`, `/cache/invalidate`).
  const httpServer = createPublicServer({
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
    limits: config.limits,
    logger,
  });
  let ready = true;
  const adminServer = createAdminServer({
    metrics: metrics.metrics,
    source,
    subgraphs,
    ready: () => ready,
    warmup: () => warmer.report,
    entityCache: entityCache && { cache: entityCache, adminToken: config.entityCache.adminToken },
    logger,
  });

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
      apq.cache?.close();
      await usage?.stop();
      await entityCache?.close();
      source.stop();
    },
  };
}
