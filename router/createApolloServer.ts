import { ApolloServer, type ApolloServerOptions, type ApolloServerPlugin } from '@apollo/server';
import { type Logger, maskUnexpectedError, withoutStackTrace } from '../shared';
import type { ProgressiveOverrideGateway } from './gateway/overrideLabels/ProgressiveOverrideGateway';
import type { RouterConfig } from './RouterConfig';
import type { RouterContext } from './RouterContext';

/**
 * Apollo Server over the router's gateway layers, with the plugins each request passes (in order), and what
 * production changes: no introspection, no stack traces (a subgraph's included), no "Did you mean …?".
 */
export function createApolloServer(options: {
  config: Pick<RouterConfig, 'production'>;
  logger: Logger;
  /** The outermost of the gateway layers (`gateway/gatewayLayers.ts`). */
  gateway: ProgressiveOverrideGateway;
  persistedQueries: ApolloServerOptions<RouterContext>['persistedQueries'];
  plugins: ApolloServerPlugin<RouterContext>[];
}): ApolloServer<RouterContext> {
  const { config, logger } = options;
  return new ApolloServer<RouterContext>({
    gateway: options.gateway,
    logger,
    introspection: !config.production,
    // The process's runMain owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: !config.production,
    // No "Did you mean …?" in production: suggestions map the schema for anyone probing it.
    hideSchemaDetailsFromClientErrors: config.production,
    persistedQueries: options.persistedQueries,
    plugins: options.plugins,
    formatError: (formatted, error) => {
      const masked = maskUnexpectedError(formatted, error, (cause) => logger.error({ err: cause }, 'unexpected error'));
      // A subgraph's own stack trace comes through the gateway in its error's extensions: never to a client in production.
      return config.production ? withoutStackTrace(masked) : masked;
    },
  });
}
