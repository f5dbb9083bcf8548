import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRouter, type Router } from '../../router';
import { composeSupergraph } from '../../schema/composeSupergraph';
import { CACHE_CONTROL, type HintedSubgraph, startHintedSubgraph } from '../helpers/hintedSubgraph';
import { testRouterConfig } from '../helpers/stack';
import { silentLogger } from '../helpers/subgraphHarness';

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
const products = [
  { id: 'p1', cents: 300 },
  { id: 'p2', cents: 450 },
];

/** The catalog before and after a release that changes `price` from cents (Int) to a decimal string. */
const catalog = (version: 1 | 2) => ({
  typeDefs: `${FEDERATION}${CACHE_CONTROL}
    type Query { product(id: ID!): Product @cacheControl(maxAge: 60) }
    type Product @key(fields: "id") @cacheControl(maxAge: 60) { id: ID! price: ${version === 1 ? 'Int' : 'String'}! }`,
  resolvers: {
    Query: { product: (_: unknown, args: { id: string }) => products.find((product) => product.id === args.id) ?? null },
    Product: {
      __resolveReference: (ref: { id: string }) => products.find((product) => product.id === ref.id) ?? null,
      price: (product: { cents: number }) => (version === 1 ? product.cents : (product.cents / 100).toFixed(2)),
    },
  },
});
const reviews = {
  typeDefs: `${FEDERATION}${CACHE_CONTROL}
    type Query { reviews: [Review!]! @cacheControl(maxAge: 60) }
    type Review @cacheControl(maxAge: 60) { body: String! product: Product! }
    type Product @key(fields: "id", resolvable: false) @cacheControl(maxAge: 60) { id: ID! }`,
  resolvers: { Query: { reviews: () => products.map((product) => ({ body: `about ${product.id}`, product: { id: product.id } })) } },
};

/**
 * A hot reload to a supergraph whose `price` changed shape: the queries the gateway sends the catalog are the same
 * text before and after, so only the supergraph version in the key keeps the old-shaped entries from being served.
 */
describe('entity cache across a hot reload', () => {
  const running: HintedSubgraph[] = [];
  let router: Router;
  let url: string;
  let adminUrl: string;
  let directory: string;

  beforeAll(async () => {
    running.push(await startHintedSubgraph(catalog(1)), await startHintedSubgraph(catalog(2)), await startHintedSubgraph(reviews));
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'entity-cache-reload-'));
  });
  afterAll(async () => {
    await router?.stop();
    for (const subgraph of running) await subgraph.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  async function ask(query: string) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return (await response.json()) as { data?: any; errors?: unknown[]; extensions?: any };
  }
  async function version(): Promise<string> {
    return ((await (await fetch(`${adminUrl}/health/ready`)).json()) as { supergraph: { version: string } }).supergraph.version;
  }

  it('never serves an entry shaped for the supergraph it replaced', async () => {
    const file = path.join(directory, 'supergraph.graphql');
    const composed = (version: 1 | 2) => {
      const result = composeSupergraph([
        { name: 'catalog', url: running[version - 1].url, sdl: catalog(version).typeDefs },
        { name: 'reviews', url: running[2].url, sdl: reviews.typeDefs },
      ]);
      if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join('\n'));
      return result.supergraphSdl;
    };
    fs.writeFileSync(file, composed(1));
    const base = testRouterConfig();
    router = await createRouter({
      config: testRouterConfig({
        supergraphPath: file,
        supergraphPollIntervalMs: 50,
        subgraphUrls: {},
        entityCache: { ...base.entityCache, mode: 'memory' },
      }),
      logger: silentLogger,
    });
    const ports = await router.listen();
    url = `http://127.0.0.1:${ports.port}/graphql`;
    adminUrl = `http://127.0.0.1:${ports.adminPort}`;

    const ENTITIES = '{ reviews { body product { price } } }';
    const ROOT = '{ product(id: "p1") { price } }';
    for (let pass = 0; pass < 2; pass++) {
      expect((await ask(ENTITIES)).data.reviews.map((review: any) => review.product.price)).toEqual([300, 450]);
      expect((await ask(ROOT)).data.product.price).toBe(300);
    }
    expect((await ask(ROOT)).extensions?.entityCache.hits).toHaveLength(1);

    const before = await version();
    fs.writeFileSync(`${file}.tmp`, composed(2));
    fs.renameSync(`${file}.tmp`, file);
    const deadline = Date.now() + 10_000;
    while ((await version()) === before) {
      if (Date.now() > deadline) throw new Error('the router did not reload');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const entities = await ask(ENTITIES);
    expect(entities.errors).toBeUndefined();
    expect(entities.data.reviews.map((review: any) => review.product.price)).toEqual(['3.00', '4.50']);
    const root = await ask(ROOT);
    expect(root.data.product.price).toBe('3.00');
    // Nothing of the catalog came from the cache: the old entries are keyed by the old version.
    expect(root.extensions?.entityCache.hits).toEqual([]);
  });
});
