import fs from 'node:fs';
import type { BaseContext } from '@apollo/server';
import { parse } from 'graphql';
import type { DataSource } from 'typeorm';
import { type Caller, callerFrom, createSubgraphServer, type Logger, projectPath, type SubgraphServer } from '../../shared';
import { internalApiRoutes } from './internalApi';
import { createLoaders, type ProductLoaders } from './loaders';
import type { ProductConfig } from './ProductConfig';
import { resolvers } from './resolvers';

export interface ProductContext extends BaseContext {
  /** Who is asking: the verified user id and scopes the router forwards; anonymous without them. */
  caller: Caller;
  loaders: ProductLoaders;
  dataSource: DataSource;
}

export const productTypeDefs = parse(fs.readFileSync(projectPath('subgraphs', 'product', 'schema.graphql'), 'utf8'));

/** Builds the product subgraph and its internal stock API (does not listen). */
export function createProductSubgraph(options: {
  dataSource: DataSource;
  config: ProductConfig;
  logger: Logger;
}): Promise<SubgraphServer<ProductContext>> {
  const { dataSource, config, logger } = options;
  return createSubgraphServer<ProductContext>({
    name: 'product',
    typeDefs: productTypeDefs,
    resolvers,
    dataSource,
    logger,
    config: config,
    createContext: (req) => ({ caller: callerFrom(req), loaders: createLoaders(dataSource), dataSource }),
    extraRoutes: internalApiRoutes(dataSource, config.internalApiToken, logger),
  });
}
