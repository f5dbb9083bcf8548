import { DEFAULT_PORTS, type Env, readSubgraphConfig, readUrl, type SubgraphConfig } from '../../shared';

export interface OrderConfig extends SubgraphConfig {
  /** Base URL of the product subgraph's internal stock API. Default `http://localhost:4002`. */
  productInternalUrl: string;
}

export function readOrderConfig(env: Env): OrderConfig {
  return {
    ...readSubgraphConfig(env, 'order'),
    productInternalUrl: readUrl(env, 'PRODUCT_INTERNAL_URL', `http://localhost:${DEFAULT_PORTS.product}`) as string,
  };
}
