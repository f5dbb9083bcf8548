import type http from 'node:http';
import { createHttpServer, type Logger } from '../../shared';
import type { RouterConfig } from '../RouterConfig';
import { type AdminRoutesOptions, adminRoutes } from './adminRoutes';
import { type GraphQLRouteOptions, graphqlRoute } from './graphqlRoute';

/** The public server: `/graphql` (graphqlRoute, in the order of its checks) and the landing page's own routes. */
export function createPublicServer(options: GraphQLRouteOptions & { limits: RouterConfig['limits']; logger: Logger }): http.Server {
  return createHttpServer(
    [graphqlRoute(options), ...options.landingPage.routes],
    (error) => options.logger.error({ err: error }, 'request failed'),
    options.limits,
  );
}

/** The admin server, never exposed publicly: `/health/*`, `/metrics`, and the entity cache's purge. */
export function createAdminServer(options: AdminRoutesOptions & { logger: Logger }): http.Server {
  return createHttpServer(adminRoutes(options), (error) => options.logger.error({ err: error }, 'admin request failed'));
}
