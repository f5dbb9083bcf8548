import fs from 'node:fs';
import type { BaseContext } from '@apollo/server';
import { parse } from 'graphql';
import type { DataSource } from 'typeorm';
import { type Caller, callerFrom, createSubgraphServer, type Logger, projectPath, type SubgraphServer } from '../../shared';
import { CheckoutSweeper } from './CheckoutSweeper';
import { createLoaders, type OrderLoaders } from './loaders';
import type { OrderConfig } from './OrderConfig';
import { createProductApi, type ProductApi } from './productApi';
import { resolvers } from './resolvers';

export interface OrderContext extends BaseContext {
  /** Who is asking: the verified user id and scopes the router forwards; anonymous without them. */
  caller: Caller;
  loaders: OrderLoaders;
  /** What checkout needs: the database, the product subgraph's internal API, a logger. */
  checkout: { dataSource: DataSource; productApi: ProductApi; logger: Logger };
}

export const orderTypeDefs = parse(fs.readFileSync(projectPath('subgraphs', 'order', 'schema.graphql'), 'utf8'));

/** Builds the order subgraph (does not listen). `productApi` defaults to the HTTP client of the internal API. */
export async function createOrderSubgraph(options: {
  dataSource: DataSource;
  config: OrderConfig;
  logger: Logger;
  productApi?: ProductApi;
  /** Run the checkout sweeper on its interval (default true). */
  sweep?: boolean;
}): Promise<SubgraphServer<OrderContext> & { sweeper: CheckoutSweeper }> {
  const { dataSource, config, logger } = options;
  const productApi = options.productApi ?? createProductApi({ baseUrl: config.productInternalUrl, token: config.internalApiToken, logger });
  const checkout = { dataSource, productApi, logger };
  const server = await createSubgraphServer<OrderContext>({
    name: 'order',
    typeDefs: orderTypeDefs,
    resolvers,
    dataSource,
    logger,
    config: config,
    createContext: (req) => ({ caller: callerFrom(req), loaders: createLoaders(dataSource), checkout }),
  });
  // Finishes checkouts a crash left half done (at start, then every interval); off in tests that drive it themselves.
  const sweeper = new CheckoutSweeper(checkout, config.sweeper);
  if (options.sweep !== false) sweeper.start();
  return {
    ...server,
    sweeper,
    async stop() {
      await sweeper.stop();
      await server.stop();
    },
  };
}
