import fs from 'node:fs';
import type { BaseContext } from '@apollo/server';
import { parse } from 'graphql';
import type { DataSource } from 'typeorm';
import { createSubgraphServer, type Logger, projectPath, type SubgraphServer, userIdFrom } from '../../shared';
import { createLoaders, type OrderLoaders } from './loaders';
import type { OrderConfig } from './OrderConfig';
import { createProductApi, type ProductApi } from './productApi';
import { resolvers } from './resolvers';

export interface OrderContext extends BaseContext {
  /** The caller's user id, from the identity header the router sets; null when anonymous. */
  userId: string | null;
  loaders: OrderLoaders;
  /** What checkout needs: the database, the product subgraph's internal API, a logger. */
  checkout: { dataSource: DataSource; productApi: ProductApi; logger: Logger };
}

export const orderTypeDefs = parse(fs.readFileSync(projectPath('subgraphs', 'order', 'schema.graphql'), 'utf8'));

/** Builds the order subgraph (does not listen). `productApi` defaults to the HTTP client of the internal API. */
export function createOrderSubgraph(options: {
  dataSource: DataSource;
  config: OrderConfig;
  logger: Logger;
  productApi?: ProductApi;
}): Promise<SubgraphServer<OrderContext>> {
  const { dataSource, config, logger } = options;
  const productApi = options.productApi ?? createProductApi({ baseUrl: config.productInternalUrl, token: config.internalApiToken, logger });
  const checkout = { dataSource, productApi, logger };
  return createSubgraphServer<OrderContext>({
    name: 'order',
    typeDefs: orderTypeDefs,
    resolvers,
    dataSource,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    production: config.production,
    createContext: (req) => ({ userId: userIdFrom(req), loaders: createLoaders(dataSource), checkout }),
  });
}
