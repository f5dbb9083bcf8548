import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type GraphQLSchema, parse } from 'graphql';
import Redis from 'ioredis';
import { prepareSupergraph } from '../../router';
import { createEntityCache } from '../../router/cache/createEntityCache';
import type { EntityCache } from '../../router/cache/EntityCache';
import type { RouterContext } from '../../router/RouterContext';
import { ENTITY_CHANGES_CHANNEL } from '../../shared';
import { freePort, startRedisServer, until } from '../helpers/redisServer';
import { silentLogger } from '../helpers/subgraphHarness';

// The entity cache against a Redis that is down, then comes up (or goes down and comes back): a redis-server this
// test starts and stops on a free port.

const SUBGRAPH = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query { product(id: ID!): Product }
  type Product @key(fields: "id") { id: ID! name: String! }
`;
const composed = composeServices([{ name: 'catalog', url: 'http://catalog.invalid/graphql', typeDefs: parse(SUBGRAPH) }]);
const apiSchema = composed.schema!.toAPISchema().toGraphQLJSSchema();
const prepared = prepareSupergraph(composed.supergraphSdl!);
const ENTITIES = 'query Q__catalog__0($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}';

function entityFetch(schema: GraphQLSchema): GraphQLDataSourceProcessOptions<RouterContext> {
  return {
    kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
    request: { query: ENTITIES, variables: { representations: [{ __typename: 'Product', id: '5' }] } },
    context: { caller: { userId: null, scopes: new Set() } } as unknown as RouterContext,
    incomingRequestContext: { schema, overallCachePolicy: { restrict: () => {} } } as never,
    document: parse(ENTITIES),
    pathInIncomingRequest: [],
  };
}

/** A subgraph answering product 5 with the current `name`, counting its calls. */
function catalog() {
  const state = { name: 'old', calls: 0 };
  const send = async (): Promise<GatewayGraphQLResponse> => {
    state.calls += 1;
    return {
      data: { _entities: [{ name: state.name }] },
      http: { headers: new Headers({ 'cache-control': 'max-age=60, public' }) },
    } as unknown as GatewayGraphQLResponse;
  };
  return { state, send };
}

const config = (mode: 'memory' | 'redis', port: number) => ({
  mode,
  maxBytes: 1 << 20,
  maxEntryBytes: 1 << 16,
  redisMaxBytes: 1 << 26,
  configuredTtls: new Map(),
  maxTtlSeconds: 300,
  replicaSettleMs: 0,
  redisUrl: `redis://127.0.0.1:${port}`,
  redisUrlIsBudgets: false,
  adminToken: null,
});

describe('entity cache with its Redis down', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('starts within about a second with Redis down, and applies invalidations published once Redis is up', async () => {
    const port = await freePort();
    const started = Date.now();
    const starting = createEntityCache(config('memory', port), silentLogger);
    const first = await Promise.race([starting, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 3_000).unref())]);
    console.log(`entity cache started in ${Date.now() - started} ms with its Redis down`);
    expect(first).not.toBe('late');
    const cache = first as EntityCache;
    cleanups.push(() => cache.close());
    cache.useSupergraph(apiSchema, 'v1', prepared);
    const { state, send } = catalog();
    await cache.fetch('catalog', entityFetch(apiSchema), send);
    await cache.fetch('catalog', entityFetch(apiSchema), send);
    expect(state.calls).toBe(1);

    const redis = await startRedisServer(port);
    cleanups.push(redis.stop);
    const other = new Redis(`redis://127.0.0.1:${port}`);
    cleanups.push(async () => other.disconnect());
    await until(
      async () => ((await other.pubsub('NUMSUB', ENTITY_CHANGES_CHANNEL)) as [string, number])[1] > 0,
      'the router subscribes once Redis is up',
    );
    state.name = 'new';
    await other.publish(ENTITY_CHANGES_CHANNEL, JSON.stringify({ tags: ['Product.id=5'] }));
    await until(() => cache.stats.invalidations.remote > 0, 'the published invalidation is applied');
    expect((await cache.fetch('catalog', entityFetch(apiSchema), send)).data).toEqual({ _entities: [{ name: 'new' }] });
    expect(state.calls).toBe(2);
  }, 30_000);
});

describe('an invalidation made while Redis is unreachable', () => {
  it('is kept, recorded once Redis is back, and never lets this router or another serve the old entity', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'entity-cache-redis-'));
    let redis = await startRedisServer(port, dir);
    const routers: EntityCache[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const cache = await createEntityCache(config('redis', port), silentLogger);
        cache!.useSupergraph(apiSchema, 'v1', prepared);
        routers.push(cache!);
      }
      const [a, b] = routers;
      const { state, send } = catalog();
      await a.fetch('catalog', entityFetch(apiSchema), send);
      await b.fetch('catalog', entityFetch(apiSchema), send);
      expect(state.calls).toBe(1); // one entry in Redis, shared

      await redis.stop(); // saved: the old entry comes back with Redis
      state.name = 'new';
      await a.invalidate(['Product.id=5'], 'mutation'); // the mutation's invalidation, while Redis is down
      expect(a.pendingInvalidations).toBeGreaterThan(0);
      expect(a.store.errors).toBeGreaterThan(0);

      redis = await startRedisServer(port, dir);
      // Both routers' stores answer again (a read answers null while the store cannot).
      await until(async () => (await b.store.read(['probe'], [])) !== null, 'router B reaches Redis again');
      await until(async () => (await a.store.read(['probe'], [])) !== null, 'router A reaches Redis again');
      expect((await a.fetch('catalog', entityFetch(apiSchema), send)).data).toEqual({ _entities: [{ name: 'new' }] });
      await until(() => a.pendingInvalidations === 0, 'router A records and publishes the kept invalidation');
      expect((await b.fetch('catalog', entityFetch(apiSchema), send)).data).toEqual({ _entities: [{ name: 'new' }] });
    } finally {
      for (const cache of routers) await cache.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
