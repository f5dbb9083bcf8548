import { GraphQLError } from 'graphql';
import type { RouterConfig } from '../../router';
import { testRouterConfig } from '../helpers/stack';
import { byId, type ConformanceCase, federation, type RunningCase, startCase } from './harness';
import { StockGateways } from './stockGateway';

const CACHE_CONTROL = `
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  enum CacheControlScope { PUBLIC PRIVATE }`;

const products = [
  { id: 'p1', sku: 'VASE', name: 'Vase', stock: 3 },
  { id: 'p2', sku: 'ANVIL', name: 'Anvil', stock: 0 },
  { id: 'p3', sku: 'LAMP', name: 'Lamp', stock: 7 },
];
const reviews = [
  { id: 'r1', body: 'Lovely', productId: 'p1' },
  { id: 'r2', body: 'Heavy', productId: 'p2' },
  { id: 'r3', body: 'Bright', productId: 'p3' },
  { id: 'r4', body: 'Again', productId: 'p1' },
];

/**
 * Two subgraphs whose types carry cache hints (Product 60 s, its stock 10 s, reviews 30 s), so the router's
 * entity cache stores entity and root-field answers, with two keys on Product, a hint-less field (not cached), a
 * field that errors for one product, and one that is null.
 */
const cacheable: ConformanceCase = {
  name: 'entity cache',
  covers: ['entity cache'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `${federation(['@key'])}${CACHE_CONTROL}
        type Query {
          product(id: ID!): Product @cacheControl(maxAge: 60)
          products: [Product!]! @cacheControl(maxAge: 60)
        }
        type Product @key(fields: "id") @key(fields: "sku") @cacheControl(maxAge: 60) {
          id: ID!
          sku: String!
          name: String!
          stock: Int! @cacheControl(maxAge: 10)
          warning: String
          uncached: String @cacheControl(maxAge: 0)
        }`,
      resolvers: {
        Query: { product: (_: unknown, args: { id: string }) => byId(products, args.id), products: () => products },
        Product: {
          __resolveReference: (ref: { id?: string; sku?: string }) =>
            products.find((product) => product.id === ref.id || product.sku === ref.sku) ?? null,
          warning: (product: { id: string }) => {
            if (product.id === 'p2') throw new GraphQLError('no warning for the anvil', { extensions: { code: 'NO_WARNING' } });
            return product.id === 'p3' ? null : `handle ${product.id} with care`;
          },
          uncached: (product: { id: string }) => `fresh ${product.id}`,
        },
      },
    },
    {
      name: 'reviews',
      typeDefs: `${federation(['@key'])}${CACHE_CONTROL}
        type Query { reviews: [Review!]! @cacheControl(maxAge: 30) review(id: ID!): Review @cacheControl(maxAge: 30) }
        type Review @key(fields: "id") @cacheControl(maxAge: 30) { id: ID! body: String! product: Product! }
        type Product @key(fields: "id", resolvable: false) { id: ID! }`,
      resolvers: {
        Query: { reviews: () => reviews, review: (_: unknown, args: { id: string }) => byId(reviews, args.id) },
        Review: { product: (review: { productId: string }) => ({ id: review.productId }) },
      },
    },
  ],
  operations: [],
};

const OPERATIONS: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  { name: 'one entity, cached alone', query: '{ review(id: "r3") { product { name } } }' },
  { name: 'a partial hit: one cached, two fetched, in order', query: '{ reviews { body product { name } } }' },
  { name: 'a root field by id', query: '{ product(id: "p1") { id name stock } }' },
  { name: 'a root list', query: '{ products { id sku name } }' },
  { name: 'entities through another subgraph', query: '{ reviews { body product { name stock } } }' },
  { name: 'the same entities, a different selection', query: '{ reviews { id product { sku name } } }' },
  { name: 'a field that errors for one entity', query: '{ reviews { body product { name warning } } }' },
  { name: 'a field with max-age 0', query: '{ reviews { body product { name uncached } } }' },
  { name: 'an unknown product', query: '{ product(id: "nope") { name } }' },
  { name: 'variables', query: 'query P($id: ID!) { product(id: $id) { name } }', variables: { id: 'p3' } },
  { name: 'aliases', query: '{ a: product(id: "p1") { n: name } b: product(id: "p2") { n: name stock } }' },
];

describe('entity cache: answers identical to stock @apollo/gateway, cold and warm', () => {
  let stock: StockGateways;
  let running: RunningCase;
  const memory = (overrides: Partial<RouterConfig['entityCache']>) => ({
    entityCache: { ...testRouterConfig().entityCache, mode: 'memory' as const, ...overrides },
  });

  beforeAll(async () => {
    stock = await StockGateways.launch();
    running = await startCase(cacheable, stock);
  });
  afterAll(async () => {
    await running?.stop();
    await stock?.close();
  });

  it('answers every operation as stock does, with the cache off, cold and warm', async () => {
    const cached = await running.startRouter(memory({}));
    const send = async (url: string, operation: { query: string; variables?: Record<string, unknown> }) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(operation),
      });
      const body = (await response.json()) as { data?: unknown; errors?: { message: string; path?: unknown[] }[]; extensions?: any };
      return {
        answer: { data: body.data, errors: body.errors?.map(({ message, path }) => ({ message, path })) },
        extensions: body.extensions,
      };
    };
    let hits = 0;
    let partial = 0;
    for (const operation of OPERATIONS) {
      const fromStock = await running.send('stock', operation);
      const reference = { data: fromStock.data, errors: fromStock.errors?.map(({ message, path }) => ({ message, path })) };
      const off = await running.send('ours', operation);
      expect({ operation: operation.name, answer: { data: off.data, errors: off.errors } }).toEqual({
        operation: operation.name,
        answer: reference,
      });
      for (const pass of ['cold', 'warm', 'warm again']) {
        const { answer, extensions } = await send(cached.url, operation);
        hits += extensions?.entityCache?.hits.length ?? 0;
        if (pass === 'cold' && extensions?.entityCache?.hits.length && extensions.entityCache.misses) partial += 1;
        expect({ operation: operation.name, pass, answer }).toEqual({ operation: operation.name, pass, answer: reference });
      }
    }
    // The cache was used: warm passes were answered from it, and one cold pass partly.
    expect(hits).toBeGreaterThan(OPERATIONS.length);
    expect(partial).toBeGreaterThanOrEqual(1);
    const catalog = running.subgraphs.get('catalog')?.received ?? [];
    const before = catalog.length;
    for (const operation of OPERATIONS.slice(0, 4)) await send(cached.url, operation);
    // Everything these ask of the catalog is cached: it receives nothing more.
    expect(catalog.slice(before)).toEqual([]);
  });
});
