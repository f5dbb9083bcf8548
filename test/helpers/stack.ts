import { createRouter, type Router, type RouterConfig, readRouterConfig, signDevelopmentToken } from '../../router';
import {
  createLogger,
  type DatabaseConfig,
  developmentSubgraphSecret,
  type Logger,
  type SubgraphName,
  type SubgraphServer,
} from '../../shared';
import type { SubgraphConfig } from '../../shared/subgraph/SubgraphConfig';
import { createAccountSubgraph } from '../../subgraphs/account/server';
import type { CheckoutSweeper } from '../../subgraphs/order/CheckoutSweeper';
import { DEFAULT_SWEEPER_OPTIONS } from '../../subgraphs/order/OrderConfig';
import { createOrderSubgraph } from '../../subgraphs/order/server';
import { createProductSubgraph } from '../../subgraphs/product/server';
import { testSubgraphConfig } from './subgraphHarness';
import { openTestDatabase, type TestDatabase } from './testDatabase';

export const INTERNAL_TOKEN = 'test-internal-token';

export interface Stack {
  routerUrl: string;
  adminUrl: string;
  router: Router;
  databases: { account: TestDatabase; product: TestDatabase; order: TestDatabase };
  subgraphUrls: { account: string; product: string; order: string };
  subgraphs: { account: SubgraphServer<any>; product: SubgraphServer<any>; order: SubgraphServer<any> & { sweeper: CheckoutSweeper } };
  /** Another router over the same subgraphs (the caller stops it), e.g. with one subgraph URL replaced. */
  /** Another router on the same subgraphs, with `overrides`; it logs to `log` when given (else the stack's logger). */
  startRouter(overrides: Partial<RouterConfig>, log?: Logger): Promise<{ router: Router; url: string }>;
  /** SQL statements each subgraph has run so far. */
  statementCounts(): { account: number; product: number; order: number };
  /**
   * POSTs a GraphQL operation to the router; returns status, headers and the parsed body. `as` signs in
   * with a development token for that user (and `scopes`).
   */
  graphql(query: string, options?: GraphQLOptions): Promise<GraphQLResult>;
  /** A bearer token the router accepts. */
  token(userId: string, scopes?: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface GraphQLOptions {
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
  as?: string;
  scopes?: string[];
}

/** `extensions.cost` of a response. */
export interface CostExtension {
  requestedQueryCost: number;
  actualQueryCost: number;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number | null; restoreRate: number };
}

export interface GraphQLResult {
  status: number;
  headers: Headers;
  cost?: CostExtension;
  body: { data?: any; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/**
 * A router's config for a test: the defaults of `NODE_ENV=test`, free ports, no usage recording and no load
 * shedding, then `overrides`.
 */
export function testRouterConfig(overrides: Partial<RouterConfig> = {}): RouterConfig {
  const base = readRouterConfig({ NODE_ENV: 'test' });
  return {
    ...base,
    port: 0,
    adminPort: 0,
    // Usage recording writes to a store of its own: tests that want it pass a `usage` override.
    usage: { ...base.usage, enabled: false },
    // A jest worker's event loop lags for reasons of its own (transpiling, other suites): shed only where a test asks.
    maxEventLoopLagMs: 0,
    ...overrides,
  };
}

/**
 * Starts the three subgraphs and the router in this process, each on a free port and on databases of
 * this test's own (`label`), the way `npm start` wires them.
 */
/**
 * `routerOverrides` change the router's config; `subgraphSecret` sets each subgraph's router credential on
 * both sides (a production-mode router refuses the development defaults); `databaseConfig` replaces the suite's
 * databases (a primary with read replicas, say); `subgraphOverrides` change every subgraph's config.
 */
export async function startStack(
  label: string,
  routerOverrides: Partial<RouterConfig> = {},
  subgraphSecret: (name: string) => string = developmentSubgraphSecret,
  databaseConfig?: (subgraph: SubgraphName) => DatabaseConfig,
  subgraphOverrides: Partial<SubgraphConfig> = {},
): Promise<Stack> {
  const databases = {
    account: await openTestDatabase('account', label, databaseConfig?.('account')),
    product: await openTestDatabase('product', label, databaseConfig?.('product')),
    order: await openTestDatabase('order', label, databaseConfig?.('order')),
  };
  const account = await createAccountSubgraph({
    dataSource: databases.account.dataSource,
    config: { ...testSubgraphConfig('account', databases.account), routerSecret: subgraphSecret('account'), ...subgraphOverrides },
    logger,
  });
  const product = await createProductSubgraph({
    dataSource: databases.product.dataSource,
    config: {
      ...testSubgraphConfig('product', databases.product),
      routerSecret: subgraphSecret('product'),
      internalApiToken: INTERNAL_TOKEN,
      ...subgraphOverrides,
    },
    logger,
  });
  const productPort = await product.listen(0);
  const order = await createOrderSubgraph({
    dataSource: databases.order.dataSource,
    config: {
      ...testSubgraphConfig('order', databases.order),
      routerSecret: subgraphSecret('order'),
      ...subgraphOverrides,
      internalApiToken: INTERNAL_TOKEN,
      productInternalUrl: `http://127.0.0.1:${productPort}`,
      sweeper: DEFAULT_SWEEPER_OPTIONS,
    },
    logger,
    // Tests that need the sweeper run it themselves (stack.order.sweeper.sweepOnce()).
    sweep: false,
  });
  const subgraphUrls = {
    account: `http://127.0.0.1:${await account.listen(0)}/graphql`,
    product: `http://127.0.0.1:${productPort}/graphql`,
    order: `http://127.0.0.1:${await order.listen(0)}/graphql`,
  };
  /** A router over these subgraphs; `overrides` change its config (a subgraph URL, limits, budgets…). */
  const routerConfig = (overrides: Partial<RouterConfig>): RouterConfig =>
    testRouterConfig({
      subgraphUrls: { ACCOUNT: subgraphUrls.account, PRODUCT: subgraphUrls.product, ORDER: subgraphUrls.order },
      subgraphSecrets: { ACCOUNT: subgraphSecret('account'), PRODUCT: subgraphSecret('product'), ORDER: subgraphSecret('order') },
      ...overrides,
    });
  const config = routerConfig(routerOverrides);
  const router = await createRouter({ config, logger });
  const { port, adminPort } = await router.listen();
  const routerUrl = `http://127.0.0.1:${port}/graphql`;
  return {
    routerUrl,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    router,
    databases,
    subgraphUrls,
    subgraphs: { account, product, order },
    async startRouter(overrides, log = logger) {
      const extra = await createRouter({ config: routerConfig(overrides), logger: log });
      return { router: extra, url: `http://127.0.0.1:${(await extra.listen()).port}/graphql` };
    },
    statementCounts: () => ({
      account: databases.account.statements.count,
      product: databases.product.statements.count,
      order: databases.order.statements.count,
    }),
    token: (userId, scopes = []) => signDevelopmentToken(config.auth, { userId, scopes }),
    async graphql(query, options = {}) {
      const authorization: Record<string, string> = options.as
        ? { authorization: `Bearer ${await signDevelopmentToken(config.auth, { userId: options.as, scopes: options.scopes })}` }
        : {};
      const response = await fetch(routerUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authorization, ...options.headers },
        body: JSON.stringify({ query, variables: options.variables }),
      });
      // extensions.cost moves to `cost`, so that tests of data compare data; cost tests read `cost`.
      const { extensions, ...body } = (await response.json()) as GraphQLResult['body'] & { extensions?: { cost?: CostExtension } };
      return { status: response.status, headers: response.headers, body, cost: extensions?.cost };
    },
    async stop() {
      await router.stop();
      await Promise.all([account.stop(), product.stop(), order.stop()]);
      await Promise.all(Object.values(databases).map((database) => database.drop()));
    },
  };
}
