import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRouter, type Router, signDevelopmentToken } from '../../router';
import type { EntityCacheMode } from '../../router/cache/EntityCacheConfig';
import { composeSupergraph } from '../../schema/composeSupergraph';
import { CACHE_CONTROL, type HintedSubgraph, type Seen, startHintedSubgraph } from '../helpers/hintedSubgraph';
import { testRouterConfig } from '../helpers/stack';
import { silentLogger } from '../helpers/subgraphHarness';

const USERS = { alice: '101', bob: '102', carol: '103' } as const;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated"])';

/**
 * Two subgraphs whose answers depend on the caller: `accounts` marks them PRIVATE (an account's `viewer` says who
 * asked), and also serves a PUBLIC-hinted `Profile` whose `note` is under `@authenticated` and names the caller (a
 * subgraph that hints carelessly; an entity, since a root answer naming no entity type is not cached); `posts` lists
 * posts (public) by authors (accounts, fetched as entities).
 */
const subgraphs = [
  {
    name: 'accounts',
    typeDefs: `${FEDERATION}${CACHE_CONTROL}
      type Query {
        me: Account @cacheControl(maxAge: 60, scope: PRIVATE)
        profile(id: ID!): Profile @cacheControl(maxAge: 60)
      }
      type Account @key(fields: "id") @cacheControl(maxAge: 60, scope: PRIVATE) { id: ID! viewer: String! }
      type Profile @key(fields: "id") @cacheControl(maxAge: 60) { id: ID! name: String! note: String @authenticated }`,
    resolvers: {
      Query: {
        me: (_: unknown, __: unknown, context: Seen) => (context.viewer === 'anonymous' ? null : { id: context.viewer }),
        profile: (_: unknown, args: { id: string }) => ({ id: args.id, name: `profile ${args.id}` }),
      },
      Account: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        viewer: (_: unknown, __: unknown, context: Seen) => context.viewer,
      },
      Profile: { note: (_: unknown, __: unknown, context: Seen) => `note for ${context.viewer}` },
    },
  },
  {
    name: 'posts',
    typeDefs: `${FEDERATION}${CACHE_CONTROL}
      type Query { posts(authors: [ID!]!): [Post!]! @cacheControl(maxAge: 60) }
      type Post @cacheControl(maxAge: 60) { id: ID! author: Account! }
      type Account @key(fields: "id", resolvable: false) @cacheControl(maxAge: 60) { id: ID! }`,
    resolvers: {
      Query: {
        posts: (_: unknown, args: { authors: string[] }) =>
          args.authors.map((author) => ({ id: `post-${author}`, author: { id: author } })),
      },
    },
  },
];

describe.each<EntityCacheMode>(['memory', 'redis'])('entity cache (%s): one caller’s private answers never reach another', (mode) => {
  const running: HintedSubgraph[] = [];
  let router: Router;
  let url: string;
  let directory: string;
  let config: ReturnType<typeof testRouterConfig>;

  beforeAll(async () => {
    for (const definition of subgraphs) running.push(await startHintedSubgraph(definition));
    const composed = composeSupergraph(
      subgraphs.map((definition, index) => ({ name: definition.name, url: running[index].url, sdl: definition.typeDefs })),
    );
    if (!composed.ok) throw new Error(composed.problems.map((problem) => problem.message).join('\n'));
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'entity-cache-privacy-'));
    fs.writeFileSync(path.join(directory, 'supergraph.graphql'), composed.supergraphSdl);
    const base = testRouterConfig();
    config = testRouterConfig({
      supergraphPath: path.join(directory, 'supergraph.graphql'),
      subgraphUrls: {},
      demand: { ...base.demand, budget: { ...base.demand.budget, mode: 'off' } },
      entityCache: { ...base.entityCache, mode, redisUrl: mode === 'redis' ? REDIS_URL : null },
    });
    router = await createRouter({ config, logger: silentLogger });
    url = `http://127.0.0.1:${(await router.listen()).port}/graphql`;
  });
  afterAll(async () => {
    await router?.stop();
    for (const subgraph of running) await subgraph.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  /** Alice, Bob and Carol are users 101, 102 and 103. */
  async function ask(query: string, as?: 'alice' | 'bob' | 'carol') {
    const token = as ? await signDevelopmentToken(config.auth, { userId: USERS[as], scopes: [] }) : null;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { data?: any; errors?: any[]; extensions?: any };
  }
  const hitsOf = (body: { extensions?: any }) => body.extensions?.entityCache?.hits.length ?? 0;

  it('entity fetch: a PRIVATE entity is cached for its caller only, never for another or an anonymous caller', async () => {
    const query = '{ posts(authors: ["x1", "x2"]) { id author { id viewer } } }';
    const first = await ask(query, 'alice');
    expect(first.data.posts.map((post: any) => post.author.viewer)).toEqual(['101', '101']);
    const again = await ask(query, 'alice');
    expect(again.data).toEqual(first.data);
    // Posts (public root field) and both accounts come from Alice's cache.
    expect(hitsOf(again)).toBe(3);
    for (const [other, seen] of [
      ['bob', '102'],
      [undefined, 'anonymous'],
    ] as const) {
      const answer = await ask(query, other);
      expect(answer.data.posts.map((post: any) => post.author.viewer)).toEqual([seen, seen]);
    }
    // Anonymous answers are never stored when private: a second anonymous read still reaches the subgraph.
    const anonymousAgain = await ask(query);
    expect(anonymousAgain.extensions?.entityCache.hits).toEqual([{ subgraph: 'posts', type: 'Query', key: {} }]);
  });

  it('partial hit: Alice’s cached accounts fill only her own answers', async () => {
    const wider = '{ posts(authors: ["x1", "x2", "x3"]) { id author { id viewer } } }';
    const alice = await ask(wider, 'alice');
    expect(alice.data.posts.map((post: any) => post.author.viewer)).toEqual(['101', '101', '101']);
    // x1 and x2 from her cache, x3 fetched.
    expect(alice.extensions?.entityCache.hits.filter((hit: any) => hit.type === 'Account')).toHaveLength(2);
    const bob = await ask(wider, 'bob');
    expect(bob.data.posts.map((post: any) => post.author.viewer)).toEqual(['102', '102', '102']);
    const carol = await ask(wider, 'carol');
    expect(carol.extensions?.entityCache.hits.filter((hit: any) => hit.type === 'Account')).toEqual([]);
  });

  it('root field: a PRIVATE answer is cached per caller', async () => {
    const alice = await ask('{ me { id viewer } }', 'alice');
    expect(alice.data.me).toEqual({ id: '101', viewer: '101' });
    expect(hitsOf(await ask('{ me { id viewer } }', 'alice'))).toBe(1);
    expect((await ask('{ me { id viewer } }', 'bob')).data.me).toEqual({ id: '102', viewer: '102' });
    expect((await ask('{ me { id viewer } }')).data.me).toBeNull();
  });

  it('a field under @authenticated is never shared, even under a PUBLIC hint', async () => {
    const query = '{ profile(id: "p1") { name note } }';
    expect((await ask(query, 'alice')).data.profile.note).toBe('note for 101');
    expect(hitsOf(await ask(query, 'alice'))).toBe(1);
    const bob = await ask(query, 'bob');
    expect(bob.data.profile.note).toBe('note for 102');
    const anonymous = await ask(query);
    expect(anonymous.data?.profile?.note ?? null).toBeNull();
    expect(JSON.stringify(anonymous)).not.toContain('101');
    // Without the protected field, the PUBLIC answer is shared.
    await ask('{ profile(id: "p1") { name } }', 'alice');
    expect(hitsOf(await ask('{ profile(id: "p1") { name } }'))).toBe(1);
  });
});
