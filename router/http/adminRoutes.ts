import { ErrorCode, HttpError, type Metrics, metricsRoute, type Route, sendJson } from '../../shared';
import type { EntityCache } from '../cache/EntityCache';
import { invalidationRoute } from '../cache/invalidationRoute';
import type { SubgraphServices } from '../gateway/SubgraphServices';
import type { SupergraphSource } from '../supergraph/SupergraphSource';
import { subgraphsOf } from '../supergraph/subgraphsOf';
import type { WarmupReport } from '../warmup/PlanWarmer';

export interface AdminRoutesOptions {
  metrics: Metrics;
  source: SupergraphSource;
  subgraphs: Pick<SubgraphServices, 'urlOf' | 'breakers'>;
  /** False once the router is stopping: readiness fails first, so a load balancer stops sending. */
  ready: () => boolean;
  /** The query-plan warm-up: readiness is 503 while it runs (it ends within `WARM_TIMEOUT_MS`). */
  warmup: () => WarmupReport;
  /** The entity cache and its purge credential, when the cache is on: `POST /cache/invalidate`. */
  entityCache?: { cache: EntityCache; adminToken: string | null } | null;
}

/** Whether a subgraph's `/health/ready` answers 200 within a second. */
async function subgraphReady(graphqlUrl: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health/ready', graphqlUrl), { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** The admin port's routes, never exposed publicly: `/health/live`, `/metrics`, `/health/ready` and, with the entity cache, `/cache/invalidate`. */
export function adminRoutes(options: AdminRoutesOptions): Route[] {
  const { source, subgraphs } = options;
  return [
    ...(options.entityCache ? [invalidationRoute(options.entityCache.cache, options.entityCache.adminToken)] : []),
    { path: '/health/live', handler: (_req, res) => sendJson(res, 200, { status: 'live' }) },
    metricsRoute(options.metrics),
    {
      path: '/health/ready',
      handler: async (_req, res) => {
        if (!options.ready()) throw new HttpError(503, ErrorCode.SERVICE_UNAVAILABLE, 'The router is shutting down.');
        const warmup = options.warmup();
        // A new replica takes traffic once its query plans are warmed (or the warm-up ran out of time).
        if (warmup.state === 'warming') {
          sendJson(res, 503, { status: 'warming', warmup });
          return;
        }
        const { version, loadedAt, prepared } = source.current;
        // Ready as long as a supergraph is loaded: one dead subgraph must not take every replica out of the
        // load balancer (the others' data is still served). The body says how each subgraph is doing.
        const states = await Promise.all(
          subgraphsOf(prepared.document).map(async ({ name, url }) => ({
            name,
            reachable: await subgraphReady(subgraphs.urlOf(name) ?? url),
            circuit: subgraphs.breakers.get(name)?.current ?? 'closed',
          })),
        );
        sendJson(res, 200, {
          status: 'ready',
          supergraph: {
            version,
            loadedAt: loadedAt.toISOString(),
            lastReloadError: source.lastError,
            // Null when served from the source; else the copy it started from while the source failed, and why.
            fromLastKnownGoodCopy: source.fromCopy,
          },
          subgraphs: states,
          warmup,
        });
      },
    },
  ];
}
