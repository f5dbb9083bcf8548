import fs from 'node:fs';
import type { BaseContext } from '@apollo/server';
import { parse } from 'graphql';
import type { DataSource } from 'typeorm';
import { createSubgraphServer, type Logger, projectPath, type SubgraphConfig, type SubgraphServer, userIdFrom } from '../../shared';
import { type AccountLoaders, createLoaders } from './loaders';
import { resolvers } from './resolvers';

export interface AccountContext extends BaseContext {
  /** The caller's user id, from the identity header the router sets; null when anonymous. */
  userId: string | null;
  loaders: AccountLoaders;
}

export const accountTypeDefs = parse(fs.readFileSync(projectPath('subgraphs', 'account', 'schema.graphql'), 'utf8'));

/** Builds the account subgraph (does not listen): `main.ts` listens, tests call it directly. */
export function createAccountSubgraph(options: {
  dataSource: DataSource;
  config: SubgraphConfig;
  logger: Logger;
}): Promise<SubgraphServer<AccountContext>> {
  return createSubgraphServer<AccountContext>({
    name: 'account',
    typeDefs: accountTypeDefs,
    resolvers,
    dataSource: options.dataSource,
    logger: options.logger,
    maxBodyBytes: options.config.maxBodyBytes,
    production: options.config.production,
    createContext: (req) => ({ userId: userIdFrom(req), loaders: createLoaders(options.dataSource) }),
  });
}
