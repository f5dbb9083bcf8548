import type { ApolloServer } from '@apollo/server';
import { type Caller, ErrorCode, HttpError, handleGraphQLRequest, type Route } from '../../shared';
import { AuthenticationFailed, type Authenticator } from '../auth/createAuthenticator';
import type { DemandControl } from '../demand/DemandControl';
import type { RouterMetrics } from '../metrics/RouterMetrics';
import type { RouterStats } from '../metrics/RouterStats';
import type { TrustedDocuments } from '../persisted/TrustedDocuments';
import type { RouterContext } from '../RouterContext';
import type { LoadShedder } from '../resilience/LoadShedder';
import type { CorsPolicy } from './corsPolicy';
import type { LandingPage } from './landingPage';

export interface GraphQLRouteOptions {
  apollo: ApolloServer<RouterContext>;
  /** The whole request's deadline, counted from arrival (`ROUTER_REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs: number;
  shedder: LoadShedder;
  stats: Pick<RouterStats, 'shed'>;
  cors: CorsPolicy;
  landingPage: LandingPage;
  authenticate: Authenticator;
  demand: DemandControl;
  trustedDocuments: TrustedDocuments;
  metrics: RouterMetrics;
}

/**
 * `/graphql` on the public port, in the order a request meets its checks: the deadline starts, an overloaded
 * router sheds it (503), CORS and preflight, the production landing page, the bearer token (401 before the
 * body is read), then the body with demand control's early refusals and trusted documents, and Apollo Server.
 * Every refusal before GraphQL runs is counted in the request metrics.
 */
export function graphqlRoute(options: GraphQLRouteOptions): Route {
  const { apollo, shedder, stats, cors, authenticate, demand, trustedDocuments, metrics } = options;
  return {
    path: '/graphql',
    handler: metrics.countRefusals(async (req, res, url) => {
      // The deadline counts from arrival: time spent reading the body and planning is part of it.
      const deadline = performance.now() + options.requestTimeoutMs;
      if (shedder.shouldShed()) {
        stats.shed += 1;
        throw new HttpError(503, ErrorCode.OVERLOADED, 'The router is overloaded. Retry shortly.', {
          'retry-after': '1',
          connection: 'close',
        });
      }
      cors.apply(req, res);
      if (req.method === 'OPTIONS') {
        cors.answerPreflight(res);
        return;
      }
      if (options.landingPage.serve(req, res, url)) return;
      let caller: Caller;
      try {
        caller = await authenticate(req);
      } catch (error) {
        if (!(error instanceof AuthenticationFailed)) throw error;
        // Refused before the body is read or anything executes.
        throw new HttpError(401, ErrorCode.UNAUTHENTICATED, error.message, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      const clientKey = demand.clientKeyOf(req, caller);
      await handleGraphQLRequest(req, res, url, {
        server: apollo,
        maxBodyBytes: demand.early.maxBodyBytes,
        onBodyBytes: (bytes) => demand.early.onBodyBytes(bytes),
        batching: demand.batching,
        resolveDocument: (operation, headers) =>
          trustedDocuments.resolve(operation, {
            name: headers.get('apollographql-client-name'),
            version: headers.get('apollographql-client-version'),
          }),
        // Refusals answered before Apollo Server (trusted documents, the token limit) count like the HTTP ones.
        onRequestError: (error) => metrics.recordRefusal(req.headers, String(error.extensions.code)),
        inspect: (operation) => demand.early.inspect(clientKey, operation),
        context: async () => ({ caller, clientKey, deadline }),
      });
    }),
  };
}
