import { composeServices } from '@apollo/composition';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type GraphQLSchema, parse } from 'graphql';
import Redis from 'ioredis';
import { prepareSupergraph } from '../../router';
import { MemoryCacheStore } from '../../router/cache/CacheStore';
import { cacheHintOf, EntityCache } from '../../router/cache/EntityCache';
import { parseConfiguredTtls } from '../../router/cache/EntityCacheConfig';
import { tagsOfPurge } from '../../router/cache/invalidationRoute';
import { RedisCacheStore } from '../../router/cache/RedisCacheStore';
import type { RouterContext } from '../../router/RouterContext';
import { silentLogger } from '../helpers/subgraphHarness';

const SUBGRAPH = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query { product(id: ID!): Product }
  type Product @key(fields: "id") { id: ID! name: String! }
`;

function supergraph(sdl: string): { apiSchema: GraphQLSchema; prepared: ReturnType<typeof prepareSupergraph> } {
  const result = composeServices([{ name: 'catalog', url: 'http://catalog.invalid/graphql', typeDefs: parse(sdl) }]);
  if (result.errors || !result.supergraphSdl) throw new Error(String(result.errors));
  return { apiSchema: result.schema.toAPISchema().toGraphQLJSSchema(), prepared: prepareSupergraph(result.supergraphSdl) };
}

const ENTITIES = 'query Q__catalog__0($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}';

/** One `_entities` fetch as the gateway hands it to a data source, on `schema`, for an anonymous caller. */
function entityFetch(schema: GraphQLSchema, ids: string[]): GraphQLDataSourceProcessOptions<RouterContext> {
  return {
    kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
    request: { query: ENTITIES, variables: { representations: ids.map((id) => ({ __typename: 'Product', id })) } },
    context: { caller: { userId: null, scopes: new Set() } } as unknown as RouterContext,
    incomingRequestContext: { schema, overallCachePolicy: { restrict: () => {} } } as never,
    document: parse(ENTITIES),
    pathInIncomingRequest: [],
  };
}

/** A subgraph that answers each representation with `name <id> #<call>`, and records the ids of every call. */
function subgraph(options: { header?: string; errors?: boolean; nullFor?: string; gate?: Promise<void> } = {}) {
  const calls: string[][] = [];
  const send = async (sent: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> => {
    const ids = ((sent.request.variables?.representations ?? []) as { id: string }[]).map((representation) => representation.id);
    calls.push(ids);
    await options.gate;
    return {
      data: { _entities: ids.map((id) => (id === options.nullFor ? null : { name: `name ${id} #${calls.length}` })) },
      // An error at the last entity sent.
      ...(options.errors ? { errors: [{ message: 'boom', path: ['_entities', ids.length - 1, 'name'] }] } : {}),
      http: { headers: new Headers({ 'cache-control': options.header ?? 'max-age=60, public' }) },
    } as unknown as GatewayGraphQLResponse;
  };
  return { calls, send };
}

describe('EntityCache', () => {
  const { apiSchema, prepared } = supergraph(SUBGRAPH);
  // A clock that ticks at every reading: each lookup, invalidation and write happens at a time of its own.
  const newCache = () => {
    let tick = 0;
    const store = new MemoryCacheStore(1 << 20, 1 << 16, () => ++tick);
    const cache = new EntityCache({ store, maxTtlSeconds: 300, logger: silentLogger });
    cache.useSupergraph(apiSchema, 'v1', prepared);
    return cache;
  };

  it('answers cached entities, sends only the misses, and merges them back in order with errors renumbered', async () => {
    const cache = newCache();
    const first = subgraph();
    await cache.fetch('catalog', entityFetch(apiSchema, ['2']), first.send);
    const second = subgraph({ errors: true, header: 'no-store' });
    const answer = await cache.fetch('catalog', entityFetch(apiSchema, ['1', '2', '3']), second.send);
    expect(second.calls).toEqual([['1', '3']]);
    expect(answer.data).toEqual({ _entities: [{ name: 'name 1 #1' }, { name: 'name 2 #1' }, { name: 'name 3 #1' }] });
    // The error at the second entity sent (product 3) is at the plan's index 2.
    expect(answer.errors).toEqual([{ message: 'boom', path: ['_entities', 2, 'name'] }]);
  });

  it('never stores an answer with errors, a null entity, or one without a hint', async () => {
    for (const options of [{ errors: true }, { header: 'no-store' }, { header: 'max-age=0, public' }, {}]) {
      const cache = newCache();
      const source = subgraph({ ...options, nullFor: '9' });
      await cache.fetch('catalog', entityFetch(apiSchema, ['1', '9']), source.send);
      await cache.fetch('catalog', entityFetch(apiSchema, ['1', '9']), source.send);
      // Product 1 is cached only from a clean, hinted answer; the null product 9 never is.
      const cached = !('errors' in options) && !options.header;
      expect({ options, calls: source.calls }).toEqual({ options, calls: [['1', '9'], cached ? ['9'] : ['1', '9']] });
    }
  });

  describe('TTLs configured for answers without a hint (ENTITY_CACHE_TTLS)', () => {
    const configured = (ttls: string) => {
      let tick = 0;
      const store = new MemoryCacheStore(1 << 20, 1 << 16, () => ++tick);
      const cache = new EntityCache({ store, maxTtlSeconds: 300, logger: silentLogger, configuredTtls: parseConfiguredTtls(ttls) });
      cache.useSupergraph(apiSchema, 'v1', prepared);
      return cache;
    };
    /** An entity fetch by `userId` (null: anonymous), with the max-age its replayed cache policy was restricted to. */
    const fetchAs = (userId: string | null, ids: string[]) => {
      const restricted: number[] = [];
      const options = entityFetch(apiSchema, ids);
      (options as { context: unknown }).context = { caller: { userId, scopes: new Set() } };
      (options as { incomingRequestContext: unknown }).incomingRequestContext = {
        schema: apiSchema,
        overallCachePolicy: { restrict: (hint: { maxAge: number }) => restricted.push(hint.maxAge) },
      };
      return { options, restricted };
    };

    it('caches a no-store answer for the signed-in caller alone, and a hit replays max-age 0', async () => {
      const cache = configured('catalog.Product=30');
      const source = subgraph({ header: 'no-store' });
      await cache.fetch('catalog', fetchAs('1', ['1']).options, source.send);
      const hit = fetchAs('1', ['1']);
      const answer = await cache.fetch('catalog', hit.options, source.send);
      expect(answer.data).toEqual({ _entities: [{ name: 'name 1 #1' }] });
      expect(hit.restricted).toEqual([0]);
      // Another user, and an anonymous caller (twice), are never answered from user 1's entry, nor stored for.
      await cache.fetch('catalog', fetchAs('2', ['1']).options, source.send);
      await cache.fetch('catalog', fetchAs(null, ['1']).options, source.send);
      await cache.fetch('catalog', fetchAs(null, ['1']).options, source.send);
      expect(source.calls).toEqual([['1'], ['1'], ['1'], ['1']]);
    });

    it('shares the entry when configured public, and never for another subgraph or type, nor over a hint of the subgraph', async () => {
      const shared = configured('catalog.Product=30:public');
      const source = subgraph({ header: 'no-store' });
      await shared.fetch('catalog', fetchAs(null, ['1']).options, source.send);
      await shared.fetch('catalog', fetchAs('2', ['1']).options, source.send);
      expect(source.calls).toEqual([['1']]);
      for (const ttls of ['reviews.Product=30:public', 'catalog.Category=30:public']) {
        const other = configured(ttls);
        const unconfigured = subgraph({ header: 'no-store' });
        await other.fetch('catalog', fetchAs(null, ['1']).options, unconfigured.send);
        await other.fetch('catalog', fetchAs(null, ['1']).options, unconfigured.send);
        expect({ ttls, calls: unconfigured.calls }).toEqual({ ttls, calls: [['1'], ['1']] });
      }
      // A hint of the subgraph wins: a private answer stays private however the operator configured the type, with a
      // max-age or without one (`private` alone: no TTL of its own, but never shared).
      for (const header of ['max-age=60, private', 'private']) {
        const hinted = configured('catalog.Product=30:public');
        const privately = subgraph({ header });
        await hinted.fetch('catalog', fetchAs('1', ['1']).options, privately.send);
        await hinted.fetch('catalog', fetchAs('2', ['1']).options, privately.send);
        await hinted.fetch('catalog', fetchAs(null, ['1']).options, privately.send);
        expect({ header, calls: privately.calls }).toEqual({ header, calls: [['1'], ['1'], ['1']] });
      }
    });
  });

  it('drops an entity fetched by another key than the one a change declared in place names, and only that', async () => {
    const twoKeys = supergraph(
      SUBGRAPH.replace('@key(fields: "id") { id: ID!', '@key(fields: "id") @key(fields: "sku") { id: ID! sku: String!'),
    );
    let tick = 0;
    const cache = new EntityCache({
      store: new MemoryCacheStore(1 << 20, 1 << 16, () => ++tick),
      maxTtlSeconds: 300,
      logger: silentLogger,
    });
    cache.useSupergraph(twoKeys.apiSchema, 'v1', twoKeys.prepared);
    const calls: string[] = [];
    const send = async (sent: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> => {
      const keys = ((sent.request.variables?.representations ?? []) as Record<string, string>[]).map((r) => r.sku ?? r.id);
      calls.push(...keys);
      return {
        data: { _entities: keys.map((key) => ({ name: `name ${key}` })) },
        http: { headers: new Headers({ 'cache-control': 'max-age=60, public' }) },
      } as unknown as GatewayGraphQLResponse;
    };
    const fetchBy = (representation: Record<string, string>) => {
      const options = entityFetch(twoKeys.apiSchema, []);
      options.request.variables = { representations: [{ __typename: 'Product', ...representation }] };
      return cache.fetch('catalog', options, send);
    };
    for (let n = 0; n < 2; n++) {
      await fetchBy({ sku: 'S1' });
      await fetchBy({ id: '1' });
    }
    expect(calls).toEqual(['S1', '1']);
    // Product 2 changed in place, by id: the entry fetched by id 1 stays, the one fetched by SKU cannot be told apart.
    await cache.invalidate(['~Product.id=2'], 'mutation');
    await fetchBy({ sku: 'S1' });
    await fetchBy({ id: '1' });
    expect(calls).toEqual(['S1', '1', 'S1']);
  });

  it('does not let a fetch that began before an invalidation put its older value back after it', async () => {
    const cache = newCache();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = subgraph({ gate });
    const inFlight = cache.fetch('catalog', entityFetch(apiSchema, ['1']), slow.send);
    // The subgraph has read the old value (the call started) when the write's invalidation lands.
    await new Promise((resolve) => setImmediate(resolve));
    expect(slow.calls).toEqual([['1']]);
    await cache.invalidate(['Product.id=1'], 'mutation');
    release();
    await inFlight;
    const after = subgraph();
    const answer = await cache.fetch('catalog', entityFetch(apiSchema, ['1']), after.send);
    expect(after.calls).toEqual([['1']]);
    expect(answer.data).toEqual({ _entities: [{ name: 'name 1 #1' }] });
  });

  it('with a replica settling time, serves nothing fetched within it after an invalidation, then caches again', async () => {
    let now = 1_000;
    const store = new MemoryCacheStore(1 << 20, 1 << 16, () => now);
    const cache = new EntityCache({ store, maxTtlSeconds: 300, replicaSettleMs: 5_000, logger: silentLogger });
    cache.useSupergraph(apiSchema, 'v1', prepared);
    const source = subgraph();
    await cache.invalidate(['Product.id=1'], 'mutation');
    // Fetched 4.9 s after the write (a replica may still lack it): stored, never served.
    now = 5_900;
    await cache.fetch('catalog', entityFetch(apiSchema, ['1']), source.send);
    await cache.fetch('catalog', entityFetch(apiSchema, ['1']), source.send);
    expect(source.calls).toHaveLength(2);
    // Past the settling time, an answer is cached again.
    now = 6_001;
    await cache.fetch('catalog', entityFetch(apiSchema, ['1']), source.send);
    await cache.fetch('catalog', entityFetch(apiSchema, ['1']), source.send);
    expect(source.calls).toHaveLength(3);
  });

  it('keys entries by supergraph version: a hot reload never serves an entry of the old one', async () => {
    const cache = newCache();
    const source = subgraph();
    await cache.fetch('catalog', entityFetch(apiSchema, ['1']), source.send);
    const reloaded = supergraph(`${SUBGRAPH} extend type Query { featured: Product }`);
    cache.useSupergraph(reloaded.apiSchema, 'v2', reloaded.prepared);
    await cache.fetch('catalog', entityFetch(reloaded.apiSchema, ['1']), source.send);
    expect(source.calls).toEqual([['1'], ['1']]);
    // A schema the cache was never told of is not cached at all.
    const unknown = supergraph(`${SUBGRAPH} extend type Query { other: Product }`);
    await cache.fetch('catalog', entityFetch(unknown.apiSchema, ['1']), source.send);
    await cache.fetch('catalog', entityFetch(unknown.apiSchema, ['1']), source.send);
    expect(source.calls).toHaveLength(4);
  });

  it('skips a Redis store that does not answer, with the failure counted, never an error', async () => {
    const store = new RedisCacheStore(
      'redis://127.0.0.1:1',
      { maxEntryBytes: 1 << 16, maxTotalBytes: 1 << 24, windowMs: 300_000 },
      silentLogger,
    );
    const cache = new EntityCache({ store, maxTtlSeconds: 300, logger: silentLogger });
    cache.useSupergraph(apiSchema, 'v1', prepared);
    const source = subgraph();
    for (let n = 0; n < 2; n++) {
      const answer = await cache.fetch('catalog', entityFetch(apiSchema, ['1']), source.send);
      expect(answer.data).toEqual({ _entities: [{ name: `name 1 #${n + 1}` }] });
    }
    await cache.invalidate(['Product.id=1'], 'admin');
    expect(store.errors).toBeGreaterThanOrEqual(3);
    await cache.close();
  });
});

describe('entity cache spans', () => {
  const exporter = new InMemorySpanExporter();
  const sdk = new NodeSDK({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    autoDetectResources: false,
  });
  beforeAll(() => sdk.start());
  afterAll(() => sdk.shutdown());

  it('puts each lookup in a span that says what it asked and found', async () => {
    const { apiSchema, prepared } = supergraph(SUBGRAPH);
    const cache = new EntityCache({ store: new MemoryCacheStore(1 << 20, 1 << 16), maxTtlSeconds: 300, logger: silentLogger });
    cache.useSupergraph(apiSchema, 'v1', prepared);
    const source = subgraph();
    await cache.fetch('catalog', entityFetch(apiSchema, ['1', '2']), source.send);
    await cache.fetch('catalog', entityFetch(apiSchema, ['1', '2']), source.send);
    const spans = exporter.getFinishedSpans().filter((span) => span.name === 'entity_cache.lookup catalog');
    expect(spans.map((span) => span.attributes)).toEqual(
      [0, 2].map((found) => ({
        'entity_cache.subgraph': 'catalog',
        'entity_cache.kind': 'entities',
        'entity_cache.keys': 2,
        'entity_cache.tags': 3,
        'entity_cache.store': 'memory',
        'entity_cache.store_answered': true,
        'entity_cache.found': found,
      })),
    );
  });
});

describe('MemoryCacheStore', () => {
  it('stays within its byte bound, dropping the least recently used first, and skips entries above the entry bound', async () => {
    const store = new MemoryCacheStore(100, 60);
    await store.write([
      { key: 'a', value: 'x'.repeat(39), ttlMs: 60_000 },
      { key: 'b', value: 'x'.repeat(39), ttlMs: 60_000 },
    ]);
    await store.read(['a'], []);
    await store.write([
      { key: 'c', value: 'x'.repeat(39), ttlMs: 60_000 },
      { key: 'd', value: 'x'.repeat(60), ttlMs: 60_000 },
    ]);
    expect((await store.read(['a', 'b', 'c', 'd'], [])).entries.map((value) => value !== null)).toEqual([true, false, true, false]);
    expect(store.bytes()).toBe(80);
  });

  it('forgets an entry after its TTL, and an invalidation after it is kept', async () => {
    let now = 1_000;
    const store = new MemoryCacheStore(1000, 1000, () => now);
    await store.write([{ key: 'a', value: 'v', ttlMs: 10 }]);
    await store.invalidate(['t'], 50);
    expect(await store.read(['a'], ['t'])).toEqual({ entries: ['v'], invalidatedAt: [1_000], now: 1_000 });
    now = 1_020;
    expect(await store.read(['a'], ['t'])).toEqual({ entries: [null], invalidatedAt: [1_000], now: 1_020 });
    now = 1_060;
    expect(await store.read([], ['t'])).toEqual({ entries: [], invalidatedAt: [0], now: 1_060 });
    // A clock that steps back is held where it was.
    now = 500;
    expect((await store.read([], [])).now).toBe(1_060);
  });
});

describe('cache hints and purges', () => {
  it('reads a subgraph Cache-Control header as a hint', () => {
    expect(cacheHintOf('max-age=60, public')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    expect(cacheHintOf('max-age=10, private')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
    expect(cacheHintOf('no-store')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(cacheHintOf(null)).toEqual({ maxAge: 0, scope: 'PUBLIC' });
  });

  it('turns a purge body into tags, and refuses any other shape', () => {
    const body = (value: unknown) => Buffer.from(JSON.stringify(value));
    expect(tagsOfPurge(body({ types: ['Category'], entities: [{ type: 'Product', key: { id: '5', sku: 'A' } }], tags: ['x'] }))).toEqual([
      'Category',
      'x',
      'Product.id=5',
      'Product.sku=A',
    ]);
    for (const bad of [{}, { types: 'Product' }, { entities: [{ type: 'Product' }] }, { colour: ['red'] }, []]) {
      expect(() => tagsOfPurge(body(bad))).toThrow(expect.objectContaining({ status: 400, code: 'BAD_REQUEST' }));
    }
    expect(() => tagsOfPurge(Buffer.from('{'))).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe("the Redis store's total budget", () => {
  const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

  it('writes at most half of ENTITY_CACHE_REDIS_MAX_BYTES per window, counted by every router together', async () => {
    const prefix = `test:budget:${process.pid}:${Date.now()}:`;
    // A day's window: the test's writes (milliseconds apart) never straddle two windows.
    const bounds = { maxEntryBytes: 1 << 16, maxTotalBytes: 10_000, windowMs: 86_400_000 };
    // Two routers' stores on the same Redis share the budget.
    const stores = [
      new RedisCacheStore(REDIS_URL, bounds, silentLogger, prefix),
      new RedisCacheStore(REDIS_URL, bounds, silentLogger, prefix),
    ];
    await Promise.all(stores.map((store) => store.ready()));
    try {
      // With its key (the prefix and 10 characters): 1,000 bytes.
      const value = 'x'.repeat(1_000 - prefix.length - 10);
      for (let n = 0; n < 8; n++) await stores[n % 2].write([{ key: `key-${String(n).padStart(5, '0')}`, value, ttlMs: 60_000 }]);
      const read = await stores[0].read(
        Array.from({ length: 8 }, (_, n) => `key-${String(n).padStart(5, '0')}`),
        [],
      );
      // 5,000 bytes (half of 10,000) fit in the window: the first five entries; the last three were not written.
      expect(read?.entries.map((entry) => entry !== null)).toEqual([true, true, true, true, true, false, false, false]);
      expect(stores[0].budgetSkips + stores[1].budgetSkips).toBe(3);
      expect(stores[0].errors + stores[1].errors).toBe(0);
    } finally {
      const cleaner = new Redis(REDIS_URL);
      const keys: string[] = await cleaner.keys(`${prefix}*`);
      if (keys.length > 0) await cleaner.del(...keys);
      cleaner.disconnect();
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
