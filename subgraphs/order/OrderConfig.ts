import { DEFAULT_PORTS, type Env, readInteger, readInternalApiToken, readSubgraphConfig, readUrl, type SubgraphConfig } from '../../shared';
import type { SweeperOptions } from './CheckoutSweeper';

export interface OrderConfig extends SubgraphConfig {
  /** The service credential it sends to the product subgraph's internal API (`INTERNAL_API_TOKEN`). */
  internalApiToken: string;
  /** Base URL of the product subgraph's internal stock API. Default `http://localhost:4002`. */
  productInternalUrl: string;
  /** The crash-repair sweeper of half-done checkouts (`CHECKOUT_*`). */
  sweeper: SweeperOptions;
}

export function readOrderConfig(env: Env): OrderConfig {
  return {
    ...readSubgraphConfig(env, 'order'),
    internalApiToken: readInternalApiToken(env),
    productInternalUrl: readUrl(env, 'PRODUCT_INTERNAL_URL', `http://localhost:${DEFAULT_PORTS.product}`) as string,
    sweeper: {
      abandonAfterMs: readInteger(env, 'CHECKOUT_ABANDON_AFTER_MS', 60_000, { min: 1_000, max: 86_400_000 }),
      confirmAfterMs: readInteger(env, 'CHECKOUT_CONFIRM_AFTER_MS', 10_000, { min: 100, max: 86_400_000 }),
      intervalMs: readInteger(env, 'CHECKOUT_SWEEP_INTERVAL_MS', 30_000, { min: 100, max: 86_400_000 }),
      batchSize: 500,
    },
  };
}

/** The sweeper's defaults (what `readOrderConfig` gives without CHECKOUT_* variables). */
export const DEFAULT_SWEEPER_OPTIONS: SweeperOptions = readOrderConfig({}).sweeper;
