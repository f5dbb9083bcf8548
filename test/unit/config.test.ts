import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEVELOPMENT_JWT_SECRET, readRouterConfig, subgraphSecretFor } from '../../router';
import { ConfigError, DEFAULT_PORTS, developmentSubgraphSecret, readDatabaseConfig, readSubgraphConfig } from '../../shared';
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
      queueLimit: 100,
      statementTimeoutMs: 5000,
      connectTimeoutMs: 3000,
    });
    expect(
      readDatabaseConfig(
        { ...env, DATABASE_QUEUE_LIMIT: '5', DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_CONNECT_TIMEOUT_MS: '750' },
        'order',
      ),
    ).toMatchObject({ queueLimit: 5, statementTimeoutMs: 0, connectTimeoutMs: 750 });
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
    expect(() => readOrderConfig({ NODE_ENV: 'production', SUBGRAPH_SECRET: 'y'.repeat(32) })).toThrow(/INTERNAL_API_TOKEN/);
    expect(() => readProductConfig({ NODE_ENV: 'production', SUBGRAPH_SECRET: 'y'.repeat(32), INTERNAL_API_TOKEN: 'short' })).toThrow(
      /INTERNAL_API_TOKEN.*at least 32 characters/,
    );
    expect(
      readOrderConfig({ NODE_ENV: 'production', INTERNAL_API_TOKEN: 'x'.repeat(32), SUBGRAPH_SECRET: 'y'.repeat(32) }).production,
    ).toBe(true);
    // The account subgraph calls no internal API, so it needs no token; every subgraph needs the router's credential.
    expect(() => readSubgraphConfig({ NODE_ENV: 'production' }, 'account')).toThrow(/SUBGRAPH_SECRET/);
    expect(readSubgraphConfig({ NODE_ENV: 'production', SUBGRAPH_SECRET: 'y'.repeat(32) }, 'account').production).toBe(true);
  });

  it('points the order subgraph at the product internal API', () => {
    expect(readOrderConfig({}).productInternalUrl).toBe(`http://localhost:${DEFAULT_PORTS.product}`);
    expect(() => readOrderConfig({ PRODUCT_INTERNAL_URL: 'not a url' })).toThrow(/PRODUCT_INTERNAL_URL must be an absolute URL/);
  });
});

describe('router configuration', () => {
  const strong = 'a-random-production-secret-0123456789abcdef';

  it('refuses to start in production with a missing, weak or development JWT secret', () => {
    expect(() => readRouterConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET must be a random string/);
    expect(() => readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(() => readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/JWT_SECRET/);
    expect(readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: strong }).auth).toMatchObject({ secret: strong, algorithms: ['HS256'] });
    expect(readRouterConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' }).auth).toMatchObject({
      secret: null,
      algorithms: ['RS256', 'ES256'],
    });
  });

  it('never mixes symmetric and asymmetric verification (algorithm confusion)', () => {
    expect(() => readRouterConfig({ JWT_SECRET: strong, JWT_JWKS_URL: 'https://idp.example/jwks' })).toThrow(/not both/);
    expect(() => readRouterConfig({ JWT_JWKS_URL: 'https://idp.example/jwks', JWT_ALGORITHMS: 'RS256,HS256' })).toThrow(/JWT_ALGORITHMS/);
    expect(() => readRouterConfig({ JWT_ALGORITHMS: 'none' })).toThrow(/JWT_ALGORITHMS/);
  });

  it('refuses a default or missing subgraph credential in production', () => {
    const production = readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: strong, ORDER_SUBGRAPH_SECRET: 'x'.repeat(40) });
    expect(subgraphSecretFor(production, 'order')).toBe('x'.repeat(40));
    expect(() => subgraphSecretFor(production, 'account')).toThrow('ACCOUNT_SUBGRAPH_SECRET must be set');
    const weak = readRouterConfig({
      NODE_ENV: 'production',
      JWT_SECRET: strong,
      ACCOUNT_SUBGRAPH_SECRET: developmentSubgraphSecret('account'),
    });
    expect(() => subgraphSecretFor(weak, 'account')).toThrow(/ACCOUNT_SUBGRAPH_SECRET/);
    expect(subgraphSecretFor(readRouterConfig({}), 'account')).toBe(developmentSubgraphSecret('account'));
  });

  it('takes subgraph URL overrides from <NAME>_URL, whatever the subgraph is called', () => {
    const config = readRouterConfig({
      ACCOUNT_URL: 'http://account:4001/graphql',
      INVENTORY_URL: 'http://inventory/graphql',
      DATABASE_URL: 'mysql://root@db:3306',
      PRODUCT_INTERNAL_URL: 'http://product:4002',
    });
    expect(config.subgraphUrls).toEqual({ ACCOUNT: 'http://account:4001/graphql', INVENTORY: 'http://inventory/graphql' });
  });

  it('puts the APQ cache on CACHE_REDIS_URL, else REDIS_URL (and says when that shares the budgets Redis)', () => {
    const defaults = { ttlSeconds: 86_400, maxEntryBytes: 65_536, maxTotalBytes: 64 * 1024 * 1024 };
    expect(readRouterConfig({}).apq).toEqual({ redisUrl: null, sharesBudgetRedis: false, ...defaults });
    expect(readRouterConfig({ REDIS_URL: 'redis://budgets:6379' }).apq).toEqual({
      redisUrl: 'redis://budgets:6379',
      sharesBudgetRedis: true,
      ...defaults,
    });
    const apart = readRouterConfig({
      REDIS_URL: 'redis://budgets:6379',
      CACHE_REDIS_URL: 'redis://cache:6379',
      APQ_TTL_SECONDS: '60',
      APQ_MAX_TOTAL_BYTES: '1048576',
    });
    expect(apart.apq).toEqual({
      redisUrl: 'redis://cache:6379',
      sharesBudgetRedis: false,
      ttlSeconds: 60,
      maxEntryBytes: 65_536,
      maxTotalBytes: 1_048_576,
    });
    expect(apart.subgraphUrls).toEqual({});
    expect(() => readRouterConfig({ APQ_MAX_ENTRY_BYTES: '10' })).toThrow(/APQ_MAX_ENTRY_BYTES/);
    expect(() => readRouterConfig({ APQ_MAX_TOTAL_BYTES: 'lots' })).toThrow(/APQ_MAX_TOTAL_BYTES/);
    expect(() => readRouterConfig({ CACHE_REDIS_URL: 'not a url' })).toThrow(/CACHE_REDIS_URL/);
  });

  it('bounds the Redis entity cache by ENTITY_CACHE_REDIS_MAX_BYTES (256 MiB unless set)', () => {
    expect(readRouterConfig({}).entityCache.redisMaxBytes).toBe(268_435_456);
    expect(readRouterConfig({ ENTITY_CACHE_REDIS_MAX_BYTES: '1048576' }).entityCache.redisMaxBytes).toBe(1_048_576);
    expect(() => readRouterConfig({ ENTITY_CACHE_REDIS_MAX_BYTES: '1000' })).toThrow(/ENTITY_CACHE_REDIS_MAX_BYTES/);
    expect(() => readRouterConfig({ ENTITY_CACHE_REDIS_MAX_BYTES: 'lots' })).toThrow(/ENTITY_CACHE_REDIS_MAX_BYTES/);
  });

  it('reads TTLs for answers without a hint from ENTITY_CACHE_TTLS, private unless :public', () => {
    expect(readRouterConfig({}).entityCache.configuredTtls).toEqual(new Map());
    expect(
      readRouterConfig({ ENTITY_CACHE_TTLS: 'account.User=30, order.Query=10:public reviews-v2.Review=5:private' }).entityCache
        .configuredTtls,
    ).toEqual(
      new Map([
        ['account.User', { seconds: 30, scope: 'PRIVATE' }],
        ['order.Query', { seconds: 10, scope: 'PUBLIC' }],
        ['reviews-v2.Review', { seconds: 5, scope: 'PRIVATE' }],
      ]),
    );
    for (const bad of [
      'User=30',
      'account.User=thirty',
      'account.User=0',
      'account.User=86401',
      'account.User=30:shared',
      'account.User=3,account.User=4',
    ]) {
      expect(() => readRouterConfig({ ENTITY_CACHE_TTLS: bad })).toThrow(/ENTITY_CACHE_TTLS/);
    }
    expect(() => readRouterConfig({ ENTITY_CACHE_TTLS: 'account.User=30,oops' })).toThrow('entry 2 ("oops")');
  });

  it('follows NODE_ENV for CORS: any origin in development, none by default in production', () => {
    expect(readRouterConfig({}).corsOrigins).toEqual(['*']);
    expect(readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: strong }).corsOrigins).toEqual([]);
    expect(
      readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: strong, CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins,
    ).toEqual(['https://a.example', 'https://b.example']);
  });

  it('serves GraphiQL by default in development, Sandbox on request, and no explorer in production', () => {
    expect(readRouterConfig({}).explorer).toBe('graphiql');
    expect(readRouterConfig({ EXPLORER: 'sandbox' }).explorer).toBe('sandbox');
    expect(readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: strong }).explorer).toBe('plain');
    expect(() => readRouterConfig({ EXPLORER: 'playground' })).toThrow("EXPLORER must be one of graphiql, sandbox, got 'playground'");
    expect(() => readRouterConfig({ NODE_ENV: 'production', JWT_SECRET: strong, EXPLORER: 'graphiql' })).toThrow(/unset EXPLORER/);
  });

  it('keeps its pool idle timeout below the subgraphs keep-alive by default', () => {
    const { SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS } = jest.requireActual('../../shared');
    expect(readRouterConfig({}).subgraphIdleTimeoutMs).toBeLessThan(SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS);
    expect(readRouterConfig({}).subgraphIdleTimeoutMs).toBeLessThan(5_000); // a stock Node server's default
  });
});

describe('API keys configuration', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-keys-'));
  const key = 'sk_live_4f9a8b7c6d5e4f3a2b1c';
  const hash = createHash('sha256').update(key).digest('hex');
  const file = (name: string, text: string) => {
    const where = path.join(dir, name);
    fs.writeFileSync(where, text);
    return where;
  };
  /** The ConfigError message a configuration gives (fails when it gives none). */
  const refusal = (env: Record<string, string>) => {
    try {
      readRouterConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('configures none by default, so the key header is ignored', () => {
    expect(readRouterConfig({}).demand.apiKeys).toEqual([]);
  });

  it('reads names, SHA-256 hashes and optional budgets from API_KEYS_FILE and from API_KEYS', () => {
    const entries = [
      { name: 'storefront', sha256: hash, capacity: 5000, restoreRate: 250 },
      { name: 'partner.acme', sha256: 'A'.repeat(64) },
    ];
    const expected = [
      { name: 'storefront', sha256: hash, capacity: 5000, restorePerSecond: 250 },
      { name: 'partner.acme', sha256: 'a'.repeat(64) },
    ];
    expect(readRouterConfig({ API_KEYS_FILE: file('good.json', JSON.stringify(entries)) }).demand.apiKeys).toEqual(expected);
    expect(readRouterConfig({ API_KEYS: `storefront:${hash}:5000:250, partner.acme:${'A'.repeat(64)}` }).demand.apiKeys).toEqual(expected);
  });

  it.each([
    ['a missing file', () => ({ API_KEYS_FILE: path.join(dir, 'nope.json') }), /^API_KEYS_FILE cannot be read \(ENOENT\)/],
    ['a file that is not JSON', () => ({ API_KEYS_FILE: file('bad.json', `${key}\n`) }), /^API_KEYS_FILE is not valid JSON/],
    ['an object instead of an array', () => ({ API_KEYS_FILE: file('object.json', '{"keys": []}') }), /must hold a JSON array/],
    ['an empty list', () => ({ API_KEYS_FILE: file('empty.json', '[]') }), /^API_KEYS_FILE lists no keys$/],
    [
      'the key itself where its hash belongs',
      () => ({ API_KEYS_FILE: file('raw.json', JSON.stringify([{ name: 'storefront', sha256: key }])) }),
      /^API_KEYS_FILE entry 1: sha256 must be the key's SHA-256/,
    ],
    [
      'a field named key',
      () => ({ API_KEYS_FILE: file('field.json', JSON.stringify([{ name: 'storefront', key }])) }),
      /^API_KEYS_FILE entry 1: unknown field\(s\) key;/,
    ],
    [
      'a bad name',
      () => ({ API_KEYS_FILE: file('name.json', JSON.stringify([{ name: 'store front', sha256: hash }])) }),
      /^API_KEYS_FILE entry 1: name must be/,
    ],
    [
      'a capacity of zero',
      () => ({ API_KEYS_FILE: file('zero.json', JSON.stringify([{ name: 'a', sha256: hash, capacity: 0 }])) }),
      /capacity must be a whole number/,
    ],
    ['a name listed twice', () => ({ API_KEYS: `a:${hash},a:${'b'.repeat(64)}` }), /'a' is listed twice/],
    ['one key under two names', () => ({ API_KEYS: `a:${hash},b:${hash}` }), /'b' has the same sha256 as another key/],
    ['a rate that is not a number', () => ({ API_KEYS: `a:${hash}:100:fast` }), /restoreRate must be a whole number/],
    ['both variables', () => ({ API_KEYS: `a:${hash}`, API_KEYS_FILE: file('both.json', '[]') }), /both set/],
    // A key that looks like a name, pasted as the whole entry or where the name belongs.
    ['the key as the whole entry', () => ({ API_KEYS: key }), /^API_KEYS entry 1: /],
    ['the key where the name belongs, and its hash', () => ({ API_KEYS: `${key}:${key}` }), /^API_KEYS entry 1: sha256 must be/],
  ])('refuses %s with one line that never quotes a key', (_label, env, message) => {
    const text = refusal(env());
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
    expect(text).not.toContain(key);
    expect(text).not.toContain(hash);
  });
});
