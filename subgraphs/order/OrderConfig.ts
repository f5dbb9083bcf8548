import { DEFAULT_PORTS, type Env, readInternalApiToken, readSubgraphConfig, readUrl, type SubgraphConfig } from '../../shared';

export interface OrderConfig extends SubgraphConfig {
  /** The service credential it sends to the product subgraph's internal API (`INTERNAL_API_TOKEN`). */
  internalApiToken: string;
  /** Base URL of the product subgraph's internal stock API. Default `http://localhost:4002`. */
  productInternalUrl: string;
}

export function readOrderConfig(env: Env): OrderConfig {
  return {
    ...readSubgraphConfig(env, 'order'),
    internalApiToken: readInternalApiToken(env),
    productInternalUrl: readUrl(env, 'PRODUCT_INTERNAL_URL', `http://localhost:${DEFAULT_PORTS.product}`) as string,
  };
}
