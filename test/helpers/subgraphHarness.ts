import type { BaseContext } from '@apollo/server';
import {
  createLogger,
  type DatabaseConfig,
  DEFAULT_SERVER_LIMITS,
  developmentSubgraphSecret,
  type SubgraphConfig,
  type SubgraphName,
  type SubgraphServer,
} from '../../shared';

export const silentLogger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** Runs an operation on a subgraph's Apollo Server (no HTTP), as the router would with `headers`. */
export async function execute<TContext extends BaseContext>(
  subgraph: SubgraphServer<TContext>,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{
  data?: any;
  errors?: readonly { message: string; extensions?: Record<string, unknown>; path?: readonly (string | number)[] }[];
}> {
  const response = await subgraph.apollo.executeOperation(
    { query, variables },
    { contextValue: subgraph.createContext({ headers } as never) },
  );
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult as never;
}

/** A subgraph's config for a test: its test database, no port yet, silent, development defaults. */
export function testSubgraphConfig(name: SubgraphName, database: { config: DatabaseConfig }): SubgraphConfig {
  return {
    name,
    port: 0,
    database: database.config,
    production: false,
    logLevel: 'silent',
    maxBodyBytes: 1024 * 1024,
    routerSecret: developmentSubgraphSecret(name),
    limits: DEFAULT_SERVER_LIMITS,
  };
}
