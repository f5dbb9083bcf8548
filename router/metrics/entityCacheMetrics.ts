import type { Metrics } from '../../shared';
import type { EntityCache } from '../cache/EntityCache';

/**
 * The entity cache as Prometheus sees it, read at each scrape: hits, misses and bytes written per subgraph and
 * type, partial hits per subgraph, invalidated tags by origin, store failures (Redis unreachable) and the
 * in-process store's size.
 */
export function registerEntityCacheMetrics(metrics: Metrics, cache: EntityCache): void {
  const { stats } = cache;
  metrics.counter('entity_cache_hits_total', 'Entities answered from the entity cache.', ['subgraph', 'type'], function collect() {
    this.reset();
    for (const { subgraph, type, hits } of stats.byType.values()) this.inc({ subgraph, type }, hits);
  });
  metrics.counter(
    'entity_cache_misses_total',
    'Entities the entity cache sent to their subgraph.',
    ['subgraph', 'type'],
    function collect() {
      this.reset();
      for (const { subgraph, type, misses } of stats.byType.values()) this.inc({ subgraph, type }, misses);
    },
  );
  metrics.counter(
    'entity_cache_written_bytes_total',
    'Bytes of entities written to the entity cache.',
    ['subgraph', 'type'],
    function collect() {
      this.reset();
      for (const { subgraph, type, bytesWritten } of stats.byType.values()) this.inc({ subgraph, type }, bytesWritten);
    },
  );
  metrics.counter('entity_cache_partial_hits_total', 'Entity fetches answered partly from the cache.', ['subgraph'], function collect() {
    this.reset();
    for (const [subgraph, count] of stats.partial) this.inc({ subgraph }, count);
  });
  metrics.counter(
    'entity_cache_invalidations_total',
    'Tags invalidated, by origin (mutation, remote, admin).',
    ['origin'],
    function collect() {
      this.reset();
      for (const [origin, count] of Object.entries(stats.invalidations)) this.inc({ origin }, count);
    },
  );
  metrics.counter(
    'entity_cache_store_errors_total',
    'Entity cache store operations that failed (Redis unreachable).',
    [],
    function collect() {
      this.reset();
      this.inc(cache.store.errors);
    },
  );
  metrics.counter(
    'entity_cache_budget_skips_total',
    'Entity cache writes skipped because the Redis store was at ENTITY_CACHE_REDIS_MAX_BYTES.',
    [],
    function collect() {
      this.reset();
      this.inc(cache.store.budgetSkips ?? 0);
    },
  );
  metrics.counter(
    'entity_cache_clears_total',
    'Times the in-process entity cache was cleared instead of remembering too many invalidated tags.',
    [],
    function collect() {
      this.reset();
      this.inc(cache.store.clears ?? 0);
    },
  );
  metrics.gauge('entity_cache_bytes', 'Bytes the in-process entity cache holds.', [], function collect() {
    this.set(cache.store.bytes() ?? 0);
  });
}
