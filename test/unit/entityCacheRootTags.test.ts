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
  type Product @key(fields: "id") { id: ID! name: String! }
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
