import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode } from 'graphql';
import type { DataSource } from 'typeorm';
import { deadlineErrorOf, isDatabaseOverload, isDatabaseUnavailable } from '../db/databaseErrors';
import { ReplicaReads, settleWrites, withReadScope } from '../db/ReplicaReads';
import { withRequestDeadline } from '../deadline';
import { SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS } from '../defaults';
import {
  changedInPlace,
  changedTags,
  collectingChanges,
  ENTITY_CHANGES_EXTENSION,
  ENTITY_CHANGES_IN_PLACE_EXTENSION,
  EntityChangePublisher,
  publishChanges,
} from '../entityChanges';
import { ErrorCode } from '../errorRegistry';
import { maskUnexpectedError } from '../errors';
import { handleGraphQLRequest } from '../http/graphqlHttp';
import { closeServer, createHttpServer, HttpError, listen, type Route, sendJson } from '../http/http';
import { callerFrom, ROUTER_CREDENTIAL_HEADER, secretsMatch } from '../identity';
import type { Logger } from '../logger';
import { Metrics, metricsRoute, requestMetricsPlugin } from '../metrics/Metrics';
import { instrumentSubgraph } from '../metrics/subgraphMetrics';
import { enforceAuthorization } from './enforceAuthorization';
import type { SubgraphConfig } from './SubgraphConfig';

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  dataSource: DataSource;
  logger: Logger;
  /** Builds the per-request context: fresh loaders for every request. */
  createContext: (req: IncomingMessage) => TContext;
  /**
   * Body limit, production mode, and `routerSecret`: every `/graphql` request without the router's
   * credential is refused with 401, so `_entities`, `_service` and the identity headers are only ever
   * trusted from the router.
   */
  config: SubgraphConfig;
  /**
   * Routes besides `/graphql` and `/health/*` (the product subgraph's internal API). Each runs in a read scope for
   * the user its caller names (`x-user-id`); one that writes calls `settleWrites()` before it answers, and
   * `publishChanges()` to tell the routers' entity caches what it declared changed (`declareChanged`).
   */
  extraRoutes?: Route[];
}

export interface SubgraphServer<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** This subgraph's Prometheus metrics, served at `/metrics`. */
  metrics: Metrics;
  httpServer: http.Server;
  createContext: (req: IncomingMessage) => TContext;
  /** Starts listening; resolves with the bound port. */
  listen(port: number): Promise<number>;
  /** Stops accepting, finishes in-flight requests, stops Apollo Server. Does not close the DataSource. */
  stop(): Promise<void>;
}

/** How long a readiness probe waits for the database before answering 503. */
const READINESS_DATABASE_TIMEOUT_MS = 2_000;

/** Whether `SELECT 1` answers within `timeoutMs` (a database that is gone must not hang the probe). */
async function databaseAnswers(dataSource: DataSource, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      dataSource.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Builds a subgraph's Apollo Server and HTTP server (without listening): `/graphql`, `/health/live`,
 * `/health/ready` (the database answers) and any extra routes. Shared by the three subgraphs so that they
 * behave the same at the edge.
 */
export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer<TContext>> {
  const { logger } = options;
  const { limits } = options.config;
  const metrics = new Metrics(options.name);
  const publisher = options.config.cacheRedisUrl ? new EntityChangePublisher(options.config.cacheRedisUrl, logger) : null;
  const detachMetrics = instrumentSubgraph(metrics, options.dataSource);
  const apollo = new ApolloServer<TContext>({
    schema: enforceAuthorization(
      buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    ),
    // Introspection stays on: the router's tooling and `_service` need the schema; clients reach subgraphs only through the router.
    introspection: true,
    // The process's runMain owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: !options.config.production,
    logger,
    // Inline (ftv1) traces are for GraphOS usage reporting, which this project does not use: skip their cost.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      requestMetricsPlugin<TContext>(metrics, logger),
      // Before the answer leaves: where the primary stands after this request's writes (read-your-writes).
      { requestDidStart: async () => ({ willSendResponse: () => settleWrites() }) },
      // What the request's resolvers declared changed, for the router's entity cache to invalidate before it answers.
      {
        requestDidStart: async () => ({
          willSendResponse: async ({ response }) => {
            const tags = changedTags();
            if (tags.length === 0 || response.body.kind !== 'single') return;
            const result = response.body.singleResult;
            const inPlace = changedInPlace();
            result.extensions = {
              ...result.extensions,
              [ENTITY_CHANGES_EXTENSION]: tags,
              ...(inPlace.length > 0 ? { [ENTITY_CHANGES_IN_PLACE_EXTENSION]: inPlace } : {}),
            };
            await publishChanges();
          },
        }),
      },
    ],
    formatError: (formatted, error) => {
      const cause = unwrapResolverError(error);
      const path = formatted.path ? { path: formatted.path } : {};
      const deadline = deadlineErrorOf(cause);
      if (deadline) return { message: deadline.message, ...path, extensions: { code: ErrorCode.DEADLINE_EXCEEDED } };
      if (isDatabaseOverload(cause)) {
        logger.warn({ err: cause, path: formatted.path }, 'database overloaded');
        return { message: 'The database is busy: try again shortly.', ...path, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
      }
      if (isDatabaseUnavailable(cause)) {
        logger.error({ err: cause, path: formatted.path }, 'database unavailable');
        return { message: 'The database is unavailable: try again shortly.', ...path, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };
      }
      return maskUnexpectedError(formatted, error, (cause) => logger.error({ err: cause }, 'unexpected error in resolver'));
    },
  });
  await apollo.start();

  const routes: Route[] = [
    {
      path: '/graphql',
      handler: (req, res, url) => {
        const credential = req.headers[ROUTER_CREDENTIAL_HEADER];
        if (!secretsMatch(typeof credential === 'string' ? credential : undefined, options.config.routerSecret)) {
          throw new HttpError(401, ErrorCode.UNAUTHENTICATED, 'This subgraph answers the router only.');
        }
        // The router says how long it still waits; past that, no new statement starts for this request. Replica
        // reads in it honour the caller's recent writes.
        return withRequestDeadline(req, res, limits.maxRequestMs, () =>
          withReadScope(callerFrom(req).userId, () =>
            collectingChanges(
              () =>
                handleGraphQLRequest(req, res, url, {
                  server: apollo,
                  context: async (request) => options.createContext(request),
                  maxBodyBytes: options.config.maxBodyBytes,
                }),
              publisher,
            ),
          ),
        );
      },
    },
    { path: '/health/live', handler: (_req, res) => sendJson(res, 200, { status: 'live' }) },
    // Outside the credential check, like health: scrapers and probes reach the subgraph directly.
    metricsRoute(metrics),
    {
      path: '/health/ready',
      handler: async (_req, res) => {
        if (draining) throw new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, 'The subgraph is shutting down.');
        // Asked on every probe, with a short timeout, so readiness follows the database down and back up.
        const database = await databaseAnswers(options.dataSource, READINESS_DATABASE_TIMEOUT_MS);
        if (!database) throw new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, 'The database does not answer.');
        // Replicas only change where reads go: one lagging or down leaves the subgraph ready (the primary reads instead).
        const replicas = ReplicaReads.of(options.dataSource)
          ?.replicas()
          .map((replica) => ({
            server: replica.server,
            address: replica.address,
            health: replica.health,
            lagSeconds: replica.lagMs === null || !Number.isFinite(replica.lagMs) ? null : replica.lagMs / 1000,
            ...(replica.error ? { error: replica.error } : {}),
          }));
        sendJson(res, 200, { status: 'ready', database: 'up', ...(replicas ? { replicas } : {}) });
      },
    },
    ...(options.extraRoutes ?? []).map(
      (route): Route => ({
        ...route,
        handler: (req, res, url) =>
          withReadScope(callerFrom(req).userId, () => collectingChanges(() => route.handler(req, res, url), publisher)),
      }),
    ),
  ];
  const httpServer = createHttpServer(routes, (error) => logger.error({ err: error }, 'request failed'), limits);
  // Longer than the router's idle timeout, so the router always closes an idle socket first.
  httpServer.keepAliveTimeout = SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS;
  let draining = false;

  return {
    apollo,
    metrics,
    httpServer,
    createContext: options.createContext,
    listen: (port) => listen(httpServer, port),
    async stop() {
      // Readiness fails first, so a load balancer stops sending before connections are refused.
      draining = true;
      if (limits.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, limits.drainDelayMs));
      await closeServer(httpServer, limits.shutdownGraceMs);
      await apollo.stop();
      publisher?.close();
      detachMetrics();
    },
  };
}
