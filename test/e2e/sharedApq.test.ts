import { createHash, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Router, RouterConfig } from '../../router';
import { RedisKeyValueCache } from '../../router/persisted/RedisKeyValueCache';
import { createLogger } from '../../shared';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { readJson } from '../helpers/http';
import { type Stack, startStack } from '../helpers/stack';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL_SECONDS = 600;
const MAX_ENTRY_BYTES = 400;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A document no other run used (the Redis outlives the test), answered by the product subgraph. */
function uniqueQuery(padding = 0): string {
  return `query P_${randomUUID().replaceAll('-', '')} { product(id: "1") { name ${' '.repeat(padding)}} }`;
}

/** An APQ request: the hash alone, or with the document (which registers it). */
async function apq(url: string, query: string, withDocument: boolean) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ...(withDocument ? { query } : {}),
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } },
    }),
  });
  const body = await readJson(response);
  return { status: response.status, code: body.errors?.[0]?.extensions?.code as string | undefined, data: body.data };
}

/** Resolves once `condition` holds (the registration is written after the response); fails after 5 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true after 5 s: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('automatic persisted queries shared through Redis (CACHE_REDIS_URL)', () => {
  let stack: Stack;
  let redis: Redis;
  const started: Router[] = [];
  const apqConfig = (redisUrl: string | null): Partial<RouterConfig> => ({
    apq: { redisUrl, ttlSeconds: TTL_SECONDS, maxEntryBytes: MAX_ENTRY_BYTES, maxTotalBytes: 64 * 1024 * 1024, sharesBudgetRedis: false },
  });
  async function routerWith(redisUrl: string | null): Promise<string> {
    const { router, url } = await stack.startRouter(apqConfig(redisUrl));
    started.push(router);
    return url;
  }

  beforeAll(async () => {
    stack = await startStack('apq');
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Hammer', priceCents: 100, stock: 5, categoryId: 1 }]);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all(started.map((router) => router.stop()));
    redis.disconnect();
    await stack.stop();
  });

  it('serves through router B a hash registered through router A, from an entry that expires', async () => {
    const [a, b] = [await routerWith(REDIS_URL), await routerWith(REDIS_URL)];
    const query = uniqueQuery();
    expect(await apq(b, query, false)).toMatchObject({ status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' });
    expect(await apq(a, query, true)).toEqual({ status: 200, code: undefined, data: { product: { name: 'Hammer' } } });
    const key = `supergraph:apq:${sha256(query)}`;
    await until(async () => (await redis.exists(key)) === 1);
    expect(await apq(b, query, false)).toEqual({ status: 200, code: undefined, data: { product: { name: 'Hammer' } } });
    expect(await redis.get(key)).toBe(query);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(TTL_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(TTL_SECONDS);
    // Without a cache Redis, a router keeps its own: B's registration is not seen by a third router.
    const alone = await routerWith(null);
    expect(await apq(alone, query, false)).toMatchObject({ code: 'PERSISTED_QUERY_NOT_FOUND' });
  });

  it('stores no document over APQ_MAX_ENTRY_BYTES, and still answers it', async () => {
    const [a, b] = [await routerWith(REDIS_URL), await routerWith(REDIS_URL)];
    const large = uniqueQuery(MAX_ENTRY_BYTES);
    expect(Buffer.byteLength(large)).toBeGreaterThan(MAX_ENTRY_BYTES);
    expect(await apq(a, large, true)).toEqual({ status: 200, code: undefined, data: { product: { name: 'Hammer' } } });
    // A small one registered after it is in Redis: so the large one was refused, not just not written yet.
    const small = uniqueQuery();
    await apq(a, small, true);
    await until(async () => (await redis.exists(`supergraph:apq:${sha256(small)}`)) === 1);
    expect(await redis.exists(`supergraph:apq:${sha256(large)}`)).toBe(0);
    expect(await apq(b, large, false)).toMatchObject({ code: 'PERSISTED_QUERY_NOT_FOUND' });
    expect(await apq(a, large, false)).toMatchObject({ code: 'PERSISTED_QUERY_NOT_FOUND' });
  });

  it('reads an entry Redis answers with an error as a miss: the client sends the document again, nothing fails', async () => {
    const url = await routerWith(REDIS_URL);
    const query = uniqueQuery();
    const key = `supergraph:apq:${sha256(query)}`;
    // A key of another type: GET answers WRONGTYPE.
    await redis.hset(key, 'not', 'a string');
    try {
      expect(await apq(url, query, false)).toMatchObject({ status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' });
      expect(await apq(url, query, true)).toEqual({ status: 200, code: undefined, data: { product: { name: 'Hammer' } } });
    } finally {
      await redis.del(key);
    }
  });

  it('with Redis unreachable, fails no request: unknown hashes are misses, registered ones are served by the router that has them', async () => {
    const url = await routerWith('redis://127.0.0.1:1');
    const query = uniqueQuery();
    expect(await apq(url, query, false)).toMatchObject({ status: 200, code: 'PERSISTED_QUERY_NOT_FOUND' });
    expect(await apq(url, query, true)).toEqual({ status: 200, code: undefined, data: { product: { name: 'Hammer' } } });
    expect(await apq(url, query, false)).toEqual({ status: 200, code: undefined, data: { product: { name: 'Hammer' } } });
  });
});

describe('the APQ cache’s copy in the process (Redis unreachable, so only the copy answers)', () => {
  const logger = createLogger('test', 'silent');
  let now = 1_000_000;
  const cache = new RedisKeyValueCache({
    url: 'redis://127.0.0.1:1',
    ttlSeconds: 60,
    maxEntryBytes: 200,
    maxTotalBytes: 1024 * 1024,
    localBytes: 250,
    logger,
    now: () => now,
  });
  afterAll(() => cache.close());

  it('keeps at most localBytes, dropping the least recently used, and nothing over maxEntryBytes', async () => {
    const value = (c: string) => c.repeat(100);
    await cache.set('a', value('a'));
    await cache.set('b', value('b'));
    // Reading a makes b the least recently used: the third entry pushes b out.
    expect(await cache.get('a')).toBe(value('a'));
    await cache.set('c', value('c'));
    expect([await cache.get('a'), await cache.get('b'), await cache.get('c')]).toEqual([value('a'), undefined, value('c')]);
    await cache.set('large', 'x'.repeat(201));
    expect(await cache.get('large')).toBeUndefined();
    expect(await cache.get('a')).toBe(value('a'));
  });

  it('expires entries after ttlSeconds, and never later than that whatever a caller asks', async () => {
    await cache.set('short', 'q', { ttl: 10 });
    await cache.set('long', 'q', { ttl: 3600 });
    await cache.set('none', 'q', { ttl: null });
    now += 10_001;
    expect(await cache.get('short')).toBeUndefined();
    expect(await cache.get('long')).toBe('q');
    now += 50_000;
    expect([await cache.get('long'), await cache.get('none')]).toEqual([undefined, undefined]);
    expect(await cache.delete('long')).toBe(false);
  });
});

describe('the APQ cache’s total in Redis (APQ_MAX_TOTAL_BYTES)', () => {
  const logger = createLogger('test', 'silent');
  const prefix = `apq-total-${randomUUID()}:`;
  // Two routers' caches on one Redis: 2,000 bytes in all, so 1,000 per window of ttlSeconds.
  // A clock that stands still, so that every write falls in one window of ttlSeconds.
  const options = {
    url: REDIS_URL,
    ttlSeconds: 600,
    maxEntryBytes: 400,
    maxTotalBytes: 2_000,
    logger,
    prefix,
    now: () => 1_800_000_000_000,
  };
  const [a, b] = [new RedisKeyValueCache(options), new RedisKeyValueCache(options)];
  const redis = new Redis(REDIS_URL);
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    a.close();
    b.close();
  });

  it('puts no more than half the total into Redis per window, from every router together; the rest stays in the router that has it', async () => {
    await Promise.all([a.connected, b.connected]);
    const value = (i: number) => `${i}`.padEnd(300, '.');
    for (let i = 0; i < 2; i++) await a.set(`doc${i}`, value(i));
    for (let i = 2; i < 10; i++) await b.set(`doc${i}`, value(i));
    const inRedis = (await redis.keys(`${prefix}doc*`)).sort();
    // 300 bytes each: three fit in 1,000, and the fourth would not, whichever router registers it.
    expect(inRedis).toEqual([`${prefix}doc0`, `${prefix}doc1`, `${prefix}doc2`]);
    // Router b still serves what it registered past the total, from its own copy; router a does not have those.
    expect(await b.get('doc9')).toBe(value(9));
    expect(await a.get('doc9')).toBeUndefined();
    expect(await a.get('doc2')).toBe(value(2));
    // What was counted is what Redis holds: refusals gave their bytes back.
    const [counter] = await redis.keys(`${prefix}apq-bytes:*`);
    expect(Number(await redis.get(counter))).toBe(900);
    expect(await redis.pttl(counter)).toBeGreaterThan(600_000);
  });
});
