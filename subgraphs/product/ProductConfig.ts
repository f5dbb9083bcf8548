import { type Env, readInternalApiToken, readSubgraphConfig, type SubgraphConfig } from '../../shared';

export interface ProductConfig extends SubgraphConfig {
  /** The service credential its internal stock API requires (`INTERNAL_API_TOKEN`). */
  internalApiToken: string;
}

export function readProductConfig(env: Env): ProductConfig {
  return { ...readSubgraphConfig(env, 'product'), internalApiToken: readInternalApiToken(env) };
}
