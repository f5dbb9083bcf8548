import fs from 'node:fs';
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import {
  closeServer,
  createHttpServer,
  ErrorCode,
  HttpError,
  handleGraphQLRequest,
  type Logger,
  listen,
  maskUnexpectedError,
  sendJson,
  USER_ID_HEADER,
} from '../shared';
import type { RouterConfig } from './RouterConfig';
import { createSubgraphFetcher } from './subgraphFetcher';

/** What each operation knows about its caller. */
export interface RouterContext {
  /** Who the caller says they are (the identity issue replaces this header with verified tokens). */
  userId: string | null;
}

export interface Router {
  apollo: ApolloServer<RouterContext>;
  gateway: ApolloGateway;
  httpServer: http.Server;
  adminServer: http.Server;
  /** Listens on the public and admin ports (0 picks free ones) and resolves with both. */
  listen(): Promise<{ port: number; adminPort: number }>;
  /** Stops accepting, finishes in-flight requests, closes the subgraph pool. */
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
  USER_ID_HEADER,
].join(', ');

/** Sends subgraph requests through the router's own pool, with the caller's identity headers. */
class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    if ('userId' in context && context.userId) headers.set(USER_ID_HEADER, context.userId);
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
  const supergraphSdl = fs.readFileSync(config.supergraphPath, 'utf8');
  const { fetcher, close: closeFetcher } = createSubgraphFetcher({
    idleTimeoutMs: config.subgraphIdleTimeoutMs,
    connectionsPerSubgraph: config.subgraphConnections,
  });
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) => {
      const override = config.subgraphUrls[name.toUpperCase()];
      return new SubgraphDataSource({ url: override ?? url, fetcher });
    },
  });
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    logger,
    introspection: !config.production,
    // The process's runMain owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: !config.production,
    plugins: [
      config.production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
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
  };

  const httpServer = createHttpServer(
    [
      {
        path: '/graphql',
        handler: async (req, res, url) => {
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
          await handleGraphQLRequest(req, res, url, {
            server: apollo,
            maxBodyBytes: config.maxBodyBytes,
            context: async (request) => {
              const header = request.headers[USER_ID_HEADER];
              const userId = typeof header === 'string' && /^\d{1,18}$/.test(header) ? header : null;
              return { userId };
            },
          });
        },
      },
    ],
    (error) => logger.error({ err: error }, 'request failed'),
  );

  const adminServer = createHttpServer(
    [
      { path: '/health/live', handler: (_req, res) => sendJson(res, 200, { status: 'live' }) },
      {
        path: '/health/ready',
        handler: (_req, res) => {
          if (!ready) throw new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, 'The router is not serving a supergraph.');
          sendJson(res, 200, { status: 'ready', subgraphs: subgraphsOf(supergraphSdl).map((subgraph) => subgraph.name) });
        },
      },
    ],
    (error) => logger.error({ err: error }, 'admin request failed'),
  );
  let ready = true;

  return {
    apollo,
    gateway,
    httpServer,
    adminServer,
    async listen() {
      const port = await listen(httpServer, config.port);
      const adminPort = await listen(adminServer, config.adminPort);
      return { port, adminPort };
    },
    async stop() {
      ready = false;
      await closeServer(httpServer);
      await apollo.stop();
      await closeServer(adminServer);
      await closeFetcher();
    },
  };
}
