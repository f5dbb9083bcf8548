import fs from 'node:fs';
import type { BaseContext } from '@apollo/server';
import { parse } from 'graphql';
import type { DataSource } from 'typeorm';
import {
  type Caller,
  callerFrom,
  createSubgraphServer,
  type Logger,
  projectPath,
  type SubgraphConfig,
  type SubgraphServer,
} from '../../shared';
import { type AccountLoaders, createLoaders } from './loaders';
import { resolvers } from './resolvers';

export interface AccountContext extends BaseContext {
  /** Who is asking: the verified user id and scopes the router forwards; anonymous without them. */
  caller: Caller;
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
    config: options.config,
    createContext: (req) => ({ caller: callerFrom(req), loaders: createLoaders(options.dataSource) }),
  });
}
