import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode } from 'graphql';
import type { DataSource } from 'typeorm';
import { isDatabaseOverload } from '../db/databaseErrors';
import { SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS } from '../defaults';
import { ErrorCode, maskUnexpectedError } from '../errors';
import { handleGraphQLRequest } from '../http/graphqlHttp';
import { closeServer, createHttpServer, HttpError, listen, type Route, sendJson } from '../http/http';
import { ROUTER_CREDENTIAL_HEADER, secretsMatch } from '../identity';
import type { Logger } from '../logger';
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
  /** Routes besides `/graphql` and `/health/*` (the product subgraph's internal API). */
  extraRoutes?: Route[];
}

export interface SubgraphServer<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  httpServer: http.Server;
  createContext: (req: IncomingMessage) => TContext;
  /** Starts listening; resolves with the bound port. */
  listen(port: number): Promise<number>;
  /** Stops accepting, finishes in-flight requests, stops Apollo Server. Does not close the DataSource. */
  stop(): Promise<void>;
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
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    formatError: (formatted, error) => {
      if (isDatabaseOverload(unwrapResolverError(error))) {
        logger.warn({ err: unwrapResolverError(error), path: formatted.path }, 'database overloaded');
        return {
          message: 'The database is busy: try again shortly.',
          ...(formatted.path ? { path: formatted.path } : {}),
          extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
        };
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
        return handleGraphQLRequest(req, res, url, {
          server: apollo,
          context: async (request) => options.createContext(request),
          maxBodyBytes: options.config.maxBodyBytes,
        });
      },
    },
    { path: '/health/live', handler: (_req, res) => sendJson(res, 200, { status: 'live' }) },
    {
      path: '/health/ready',
      handler: async (_req, res) => {
        try {
          await options.dataSource.query('SELECT 1');
          sendJson(res, 200, { status: 'ready', database: 'up' });
        } catch {
          throw new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, 'The database does not answer.');
        }
      },
    },
    ...(options.extraRoutes ?? []),
  ];
  const httpServer = createHttpServer(routes, (error) => logger.error({ err: error }, 'request failed'));
  // Longer than the router's idle timeout, so the router always closes an idle socket first.
  httpServer.keepAliveTimeout = SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS;
  httpServer.headersTimeout = SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS + 1_000;

  return {
    apollo,
    httpServer,
    createContext: options.createContext,
    listen: (port) => listen(httpServer, port),
    async stop() {
      await closeServer(httpServer);
      await apollo.stop();
    },
  };
}
