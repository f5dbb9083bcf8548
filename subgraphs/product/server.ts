import fs from 'node:fs';
import type { BaseContext } from '@apollo/server';
import { parse } from 'graphql';
import type { DataSource } from 'typeorm';
import { createSubgraphServer, type Logger, projectPath, type SubgraphServer, userIdFrom } from '../../shared';
import { internalApiRoutes } from './internalApi';
import { createLoaders, type ProductLoaders } from './loaders';
import type { ProductConfig } from './ProductConfig';
import { resolvers } from './resolvers';

export interface ProductContext extends BaseContext {
  /** The caller's user id, from the identity header the router sets; null when anonymous. */
  userId: string | null;
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
    maxBodyBytes: config.maxBodyBytes,
    production: config.production,
    createContext: (req) => ({ userId: userIdFrom(req), loaders: createLoaders(dataSource), dataSource }),
    extraRoutes: internalApiRoutes(dataSource, config.internalApiToken, logger),
  });
}
