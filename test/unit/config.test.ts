import { readRouterConfig } from '../../router/RouterConfig';
import { ConfigError, DEFAULT_PORTS, readDatabaseConfig, readSubgraphConfig } from '../../shared';
import { readOrderConfig } from '../../subgraphs/order/OrderConfig';
import { readProductConfig } from '../../subgraphs/product/ProductConfig';

describe('database configuration', () => {
  it('defaults to an embedded SQLite file per subgraph under DATA_DIR', () => {
    expect(readDatabaseConfig({ DATA_DIR: '/tmp/x' }, 'order')).toEqual({ kind: 'sqlite', file: '/tmp/x/orders.sqlite' });
  });

  it('gives each subgraph its own database on the DATABASE_URL server', () => {
    const env = { DATABASE_URL: 'mysql://app:s%3Acret@db.internal:3307' };
    expect(readDatabaseConfig(env, 'product')).toEqual({
      kind: 'mysql',
      host: 'db.internal',
      port: 3307,
      user: 'app',
      password: 's:cret',
      database: 'product',
      poolSize: 10,
    });
    expect(readDatabaseConfig({ ...env, DATABASE_NAME_PREFIX: 'ci_' }, 'order')).toMatchObject({ database: 'ci_orders' });
  });

  it('lets a per-subgraph URL win, with its own database name', () => {
    const env = { DATABASE_URL: 'mysql://root@a:3306', ACCOUNT_DATABASE_URL: 'mysql://root@b:3306/accounts_v2' };
    expect(readDatabaseConfig(env, 'account')).toMatchObject({ host: 'b', database: 'accounts_v2' });
    expect(readDatabaseConfig(env, 'product')).toMatchObject({ host: 'a', database: 'product' });
  });

  it('says how to fix a bad URL without echoing its password', () => {
    const read = () => readDatabaseConfig({ DATABASE_URL: 'postgres://u:hunter2@h/db' }, 'account');
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/DATABASE_URL must be a mysql:\/\/ URL/);
    expect(read).not.toThrow(/hunter2/);
  });
});

describe('subgraph configuration', () => {
  it('reads ports with defaults and refuses garbage with a fix-it message', () => {
    expect(readSubgraphConfig({}, 'product').port).toBe(DEFAULT_PORTS.product);
    expect(readSubgraphConfig({ PRODUCT_PORT: '5002' }, 'product').port).toBe(5002);
    expect(() => readSubgraphConfig({ PRODUCT_PORT: 'abc' }, 'product')).toThrow("PRODUCT_PORT must be a port number, got 'abc'");
  });

  it('refuses to start in production without a strong internal API token', () => {
    expect(() => readOrderConfig({ NODE_ENV: 'production' })).toThrow(/INTERNAL_API_TOKEN/);
    expect(() => readProductConfig({ NODE_ENV: 'production', INTERNAL_API_TOKEN: 'short' })).toThrow(/at least 32 characters/);
    expect(readOrderConfig({ NODE_ENV: 'production', INTERNAL_API_TOKEN: 'x'.repeat(32) }).production).toBe(true);
    // The account subgraph calls no internal API, so it needs no token.
    expect(readSubgraphConfig({ NODE_ENV: 'production' }, 'account').production).toBe(true);
  });

  it('points the order subgraph at the product internal API', () => {
    expect(readOrderConfig({}).productInternalUrl).toBe(`http://localhost:${DEFAULT_PORTS.product}`);
    expect(() => readOrderConfig({ PRODUCT_INTERNAL_URL: 'not a url' })).toThrow(/PRODUCT_INTERNAL_URL must be an absolute URL/);
  });
});

describe('router configuration', () => {
  it('takes subgraph URL overrides from <NAME>_URL, whatever the subgraph is called', () => {
    const config = readRouterConfig({
      ACCOUNT_URL: 'http://account:4001/graphql',
      INVENTORY_URL: 'http://inventory/graphql',
      DATABASE_URL: 'mysql://root@db:3306',
      PRODUCT_INTERNAL_URL: 'http://product:4002',
    });
    expect(config.subgraphUrls).toEqual({ ACCOUNT: 'http://account:4001/graphql', INVENTORY: 'http://inventory/graphql' });
  });

  it('follows NODE_ENV for CORS: any origin in development, none by default in production', () => {
    expect(readRouterConfig({}).corsOrigins).toEqual(['*']);
    expect(readRouterConfig({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
    expect(readRouterConfig({ NODE_ENV: 'production', CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  it('keeps its pool idle timeout below the subgraphs keep-alive by default', () => {
    const { SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS } = jest.requireActual('../../shared');
    expect(readRouterConfig({}).subgraphIdleTimeoutMs).toBeLessThan(SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS);
    expect(readRouterConfig({}).subgraphIdleTimeoutMs).toBeLessThan(5_000); // a stock Node server's default
  });
});
