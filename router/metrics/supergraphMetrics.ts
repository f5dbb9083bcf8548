import type { Metrics } from '../../shared';
import type { SupergraphVersion } from '../supergraph/SupergraphSource';

/**
 * What Prometheus sees of the supergraph a router serves, read at each scrape: `router_supergraph_info{version}`
 * is 1 for the version `/health/ready` shows (a short hash of the SDL, so that routers serving the same
 * supergraph show the same value), `router_supergraph_loaded_timestamp_seconds` says when it was loaded, and
 * `router_supergraph_reload_failing` is 1 while the last published supergraph was refused and the one before it
 * keeps serving, and `router_supergraph_from_copy` is 1 while it serves the last-known-good copy it started from. The dashboard shows each router's version; the alerting rules fire when routers disagree or a
 * reload keeps failing.
 */
export function registerSupergraphMetrics(
  metrics: Metrics,
  source: {
    readonly current: SupergraphVersion;
    readonly lastError: { message: string; at: Date } | null;
    readonly fromCopy: { path: string } | null;
  },
): void {
  metrics.gauge(
    'router_supergraph_info',
    'The supergraph this router serves: 1, labelled with its version.',
    ['version'],
    function collect() {
      // Only the version served now: the one replaced by a reload must not linger as a second series.
      this.reset();
      this.set({ version: source.current.version }, 1);
    },
  );
  metrics.gauge(
    'router_supergraph_loaded_timestamp_seconds',
    'When the supergraph served now was loaded, in Unix seconds.',
    [],
    function collect() {
      this.set(source.current.loadedAt.getTime() / 1000);
    },
  );
  metrics.gauge(
    'router_supergraph_from_copy',
    '1 while the router serves the last-known-good copy it started from (SUPERGRAPH_CACHE_PATH) because the source failed, else 0.',
    [],
    function collect() {
      this.set(source.fromCopy ? 1 : 0);
    },
  );
  metrics.gauge(
    'router_supergraph_reload_failing',
    '1 while the last published supergraph was refused (the previous one keeps serving), else 0.',
    [],
    function collect() {
      this.set(source.lastError ? 1 : 0);
    },
  );
}
