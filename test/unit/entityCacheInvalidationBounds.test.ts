import { MemoryCacheStore } from '../../router/cache/CacheStore';
import { EntityCache, MAX_TAGS_PER_INVALIDATION } from '../../router/cache/EntityCache';
import { silentLogger } from '../helpers/subgraphHarness';

// The in-process store's memory of invalidations is bounded: expired ones are dropped as new ones come, past a
// total it clears itself, and an invalidation of too many tags clears it instead of remembering them all.

describe('MemoryCacheStore invalidation bounds', () => {
  it('drops expired invalidation times at the next invalidation, whatever their number', async () => {
    let now = 1_000;
    const store = new MemoryCacheStore(1 << 20, 1 << 16, () => now);
    await store.invalidate(['A.id=1', 'A.id=2', 'A.id=3'], 100);
    now += 50;
    await store.invalidate(['A.id=4'], 100);
    expect(store.invalidationCount()).toBe(4);
    now += 60; // the first three expired, the fourth not
    await store.invalidate(['A.id=5'], 100);
    expect(store.invalidationCount()).toBe(2);
    expect((await store.read([], ['A.id=4'])).invalidatedAt).toEqual([1_050]);
  });

  it('past its bound of remembered tags, clears itself: entries gone, and older fetches count as invalidated', async () => {
    let now = 1_000;
    const store = new MemoryCacheStore(1 << 20, 1 << 16, () => now, 5);
    await store.write([{ key: 'k', value: 'v', ttlMs: 10_000 }]);
    now += 1;
    await store.invalidate(['T.id=1', 'T.id=2', 'T.id=3', 'T.id=4', 'T.id=5'], 10_000);
    expect(store.clears).toBe(0);
    now += 1;
    await store.invalidate(['T.id=6'], 10_000);
    expect(store.clears).toBe(1);
    expect(store.invalidationCount()).toBe(0);
    const read = await store.read(['k'], ['T.id=99']);
    expect(read.entries).toEqual([null]);
    // A fetch that began before the clear (and lands after it) carries a tag never invalidated: still invalid.
    expect(read.invalidatedAt).toEqual([1_002]);
  });
});

describe('EntityCache invalidation of too many tags', () => {
  it('clears the in-process store instead of remembering every tag', async () => {
    let now = 1_000;
    const store = new MemoryCacheStore(1 << 20, 1 << 16, () => now);
    const cache = new EntityCache({ store, maxTtlSeconds: 300, logger: silentLogger });
    await store.write([{ key: 'k', value: 'v', ttlMs: 10_000 }]);
    now += 1;
    const tags = Array.from({ length: MAX_TAGS_PER_INVALIDATION + 1 }, (_, i) => `Product.id=${i}`);
    await cache.invalidateRemote(tags);
    expect(store.clears).toBe(1);
    expect(store.invalidationCount()).toBe(0);
    expect((await store.read(['k'], [])).entries).toEqual([null]);
    // Below the bound, tags are remembered one by one.
    await cache.invalidateRemote(tags.slice(0, 10));
    expect(store.clears).toBe(1);
    expect(store.invalidationCount()).toBe(11); // ten tags and Product*
  });
});
