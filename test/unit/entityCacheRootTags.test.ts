import { composeServices } from '@apollo/composition';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type GraphQLSchema, parse } from 'graphql';
import { prepareSupergraph } from '../../router';
import { MemoryCacheStore } from '../../router/cache/CacheStore';
import { EntityCache } from '../../router/cache/EntityCache';
import type { RouterContext } from '../../router/RouterContext';
import { silentLogger } from '../helpers/subgraphHarness';

// Root-field answers that hold no entity (an empty list, a page of which only pageInfo is selected, a scalar): after
// the review of issue 17 (revA's rootTags probe), such answers were cached without tags and never invalidated.

const SUBGRAPH = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query {
    search(text: String!): [Product!]!
    products(first: Int!): ProductConnection!
    productCount: Int!
  }
  type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
  type ProductEdge { cursor: String! node: Product! }
  type PageInfo { hasNextPage: Boolean! }
  type Product @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! name: String! }
`;
const result = composeServices([{ name: 'catalog', url: 'http://catalog.invalid/graphql', typeDefs: parse(SUBGRAPH) }]);
const apiSchema = result.schema!.toAPISchema().toGraphQLJSSchema();
const prepared = prepareSupergraph(result.supergraphSdl!);

function rootFetch(schema: GraphQLSchema, query: string): GraphQLDataSourceProcessOptions<RouterContext> {
  return {
    kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
    request: { query, variables: {} },
    context: { caller: { userId: null, scopes: new Set() } } as unknown as RouterContext,
    incomingRequestContext: { schema, overallCachePolicy: { restrict: () => {} } } as never,
    document: parse(query),
    pathInIncomingRequest: [],
  };
}

/** A cache and a subgraph whose answer is `answer()` at each call, counted. */
function setup(answer: () => Record<string, unknown>) {
  let tick = 0;
  const store = new MemoryCacheStore(1 << 20, 1 << 16, () => ++tick);
  const cache = new EntityCache({ store, maxTtlSeconds: 300, logger: silentLogger });
  cache.useSupergraph(apiSchema, 'v1', prepared);
  const state = { calls: 0 };
  const send = async (): Promise<GatewayGraphQLResponse> => {
    state.calls += 1;
    return {
      data: answer(),
      http: { headers: new Headers({ 'cache-control': 'max-age=60, public' }) },
    } as unknown as GatewayGraphQLResponse;
  };
  return { cache, state, send };
}

it('an empty list answer is invalidated by a created entity of its type', async () => {
  const QUERY = 'query Q__catalog__0{search(text:"lamp"){id name}}';
  let products: { id: string; name: string }[] = [];
  const { cache, state, send } = setup(() => ({ search: products }));
  expect((await cache.fetch('catalog', rootFetch(apiSchema, QUERY), send)).data).toEqual({ search: [] });
  await cache.fetch('catalog', rootFetch(apiSchema, QUERY), send);
  expect(state.calls).toBe(1); // cached
  // createProduct declares Product.id=7 and Product.sku=...
  products = [{ id: '7', name: 'Lamp' }];
  await cache.invalidate(['Product.id=7'], 'mutation');
  const after = await cache.fetch('catalog', rootFetch(apiSchema, QUERY), send);
  expect(state.calls).toBe(2);
  expect(after.data).toEqual({ search: [{ id: '7', name: 'Lamp' }] });
});

it('a page of which only pageInfo and cursors are selected is never served stale after a purge of its type', async () => {
  const QUERY = 'query Q__catalog__0{products(first:2){edges{cursor}pageInfo{hasNextPage}}}';
  let more = false;
  const { cache, state, send } = setup(() => ({ products: { edges: [{ cursor: 'a' }], pageInfo: { hasNextPage: more } } }));
  await cache.fetch('catalog', rootFetch(apiSchema, QUERY), send);
  more = true;
  // POST /cache/invalidate {"types":["Product"]}
  await cache.invalidate(['Product'], 'admin');
  const after = await cache.fetch('catalog', rootFetch(apiSchema, QUERY), send);
  // The selection names no entity type, so nothing could name it in a purge: it is not cached at all.
  expect(state.calls).toBe(2);
  expect(after.data).toEqual({ products: { edges: [{ cursor: 'a' }], pageInfo: { hasNextPage: true } } });
});

it('a root answer that names no entity type is not cached', async () => {
  const QUERY = 'query Q__catalog__0{productCount}';
  let count = 3;
  const { cache, state, send } = setup(() => ({ productCount: count }));
  await cache.fetch('catalog', rootFetch(apiSchema, QUERY), send);
  count = 4;
  expect((await cache.fetch('catalog', rootFetch(apiSchema, QUERY), send)).data).toEqual({ productCount: 4 });
  expect(state.calls).toBe(2);
});

describe('a change declared in place', () => {
  // Three cached lists: one holding product 7, one holding product 8, one empty. The subgraph answers by the text.
  const QUERIES = {
    seven: 'query Q__catalog__0{search(text:"saw"){id name}}',
    eight: 'query Q__catalog__0{search(text:"drill"){id name}}',
    none: 'query Q__catalog__0{search(text:"zzz"){id name}}',
  };
  function lists() {
    const names: Record<string, string> = { '7': 'Saw', '8': 'Drill' };
    const calls: string[] = [];
    let tick = 0;
    const store = new MemoryCacheStore(1 << 20, 1 << 16, () => ++tick);
    const cache = new EntityCache({ store, maxTtlSeconds: 300, logger: silentLogger });
    cache.useSupergraph(apiSchema, 'v1', prepared);
    const send = async (options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> => {
      const text = /text:"(\w+)"/.exec(options.request.query ?? '')?.[1] ?? '';
      calls.push(text);
      const ids = text === 'saw' ? ['7'] : text === 'drill' ? ['8'] : [];
      return {
        data: { search: ids.map((id) => ({ id, name: names[id] })) },
        http: { headers: new Headers({ 'cache-control': 'max-age=60, public' }) },
      } as unknown as GatewayGraphQLResponse;
    };
    const readAll = async () => {
      const answers: Record<string, unknown> = {};
      for (const [name, query] of Object.entries(QUERIES))
        answers[name] = (await cache.fetch('catalog', rootFetch(apiSchema, query), send)).data;
      return answers;
    };
    return { cache, calls, names, readAll };
  }

  it('drops only the lists that hold the entity, and they answer its new value', async () => {
    const { cache, calls, names, readAll } = lists();
    await readAll();
    await readAll();
    expect(calls).toEqual(['saw', 'drill', 'zzz']); // the second reading came from the cache
    // A change no list filters on (in this subgraph, membership comes from the search text alone, not the name).
    names['7'] = 'Saw, sharper';
    await cache.invalidate(['~Product.id=7'], 'mutation');
    const after = await readAll();
    expect(calls).toEqual(['saw', 'drill', 'zzz', 'saw']);
    expect(after.seven).toEqual({ search: [{ id: '7', name: 'Saw, sharper' }] });
  });

  // Product 8 read through `selection` (no id in it), read twice, then changed in place by its id: read again.
  async function readWithout(id: string, selection: string, item: (name: string) => Record<string, string>) {
    const { cache, calls, names } = lists();
    const query = `query Q__catalog__0{search(text:"drill"){${selection}}}`;
    const send = async (): Promise<GatewayGraphQLResponse> => {
      calls.push(selection);
      return {
        data: { search: [item(names['8'])] },
        http: { headers: new Headers({ 'cache-control': 'max-age=60, public' }) },
      } as unknown as GatewayGraphQLResponse;
    };
    await cache.fetch('catalog', rootFetch(apiSchema, query), send);
    await cache.fetch('catalog', rootFetch(apiSchema, query), send);
    const cachedCalls = calls.length;
    names['8'] = 'Drill, in stock again';
    await cache.invalidate([`~Product.id=${id}`], 'mutation');
    const after = await cache.fetch('catalog', rootFetch(apiSchema, query), send);
    return { cachedCalls, calls: calls.length, after: after.data };
  }

  it('drops an answer that holds an entity of the type without its keys (no key tag can name it)', async () => {
    expect(await readWithout('8', 'name', (name) => ({ name }))).toEqual({
      cachedCalls: 1,
      calls: 2,
      after: { search: [{ name: 'Drill, in stock again' }] },
    });
  });

  it('drops an answer that holds the entity by another key than the one declared', async () => {
    // Declared by id only (as an order's stock change is): the answer holds product 8 by its SKU.
    expect(await readWithout('8', 'sku name', (name) => ({ sku: 'DRILL-8', name }))).toEqual({
      cachedCalls: 1,
      calls: 2,
      after: { search: [{ sku: 'DRILL-8', name: 'Drill, in stock again' }] },
    });
  });

  it('a change declared without the prefix still drops every list of the type, empty ones included', async () => {
    const { cache, calls, readAll } = lists();
    await readAll();
    await cache.invalidate(['Product.id=7'], 'mutation');
    await readAll();
    expect(calls).toEqual(['saw', 'drill', 'zzz', 'saw', 'drill', 'zzz']);
  });

  it('a purge of the type in place drops every list holding one, not the empty one', async () => {
    const { cache, calls, readAll } = lists();
    await readAll();
    await cache.invalidate(['~Product'], 'admin');
    await readAll();
    expect(calls).toEqual(['saw', 'drill', 'zzz', 'saw', 'drill']);
  });
});
