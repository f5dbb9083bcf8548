/**
 * The defaults that DESIGN.md promises users. Config modules and docker-compose.yml's test read them from
 * here, and docs/configuration.md is checked against the config modules, so they cannot drift apart.
 */
export const DEFAULT_PORTS = {
  router: 4000,
  routerAdmin: 8088,
  account: 4001,
  product: 4002,
  order: 4003,
} as const;

export type SubgraphName = 'account' | 'product' | 'order';

export const SUBGRAPH_NAMES: readonly SubgraphName[] = ['account', 'product', 'order'];

/** MySQL database name of each subgraph (`order` is a reserved word in SQL, hence `orders`). */
export const DATABASE_NAMES: Readonly<Record<SubgraphName, string>> = {
  account: 'account',
  product: 'product',
  order: 'orders',
};

export const DEFAULT_SUPERGRAPH_PATH = 'schema/supergraph.graphql';
export const DEFAULT_DATA_DIR = '.data';

/**
 * Subgraph servers keep idle sockets this long. The router's pool closes idle sockets sooner
 * (ROUTER_SUBGRAPH_IDLE_TIMEOUT_MS), so it never writes to a socket the subgraph is closing.
 */
export const SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS = 65_000;
