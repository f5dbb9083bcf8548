import type http from 'node:http';
import type { ApolloGateway } from '@apollo/gateway';
import type { ApolloServer } from '@apollo/server';
import type { Metrics } from '../shared';
import type { EntityCache } from './cache/EntityCache';
import type { RouterStats } from './metrics/RouterStats';
import type { RouterContext } from './RouterContext';
import type { CircuitBreaker } from './resilience/CircuitBreaker';
import type { WarmupReport } from './warmup/PlanWarmer';

/** A router built by `createRouter`: its parts, for tests and scripts, and how to start and stop it. */
export interface Router {
  apollo: ApolloServer<RouterContext>;
  gateway: ApolloGateway;
  stats: RouterStats;
  /** Writes the schema usage counted so far (it is written every few seconds anyway). */
  flushUsage(): Promise<void>;
  httpServer: http.Server;
  adminServer: http.Server;
  /** Each subgraph's circuit breaker, by subgraph name. */
  breakers: ReadonlyMap<string, CircuitBreaker>;
  /** The router's Prometheus metrics, served on the admin port at `/metrics`. */
  metrics: Metrics;
  /** The entity cache (null when `ENTITY_CACHE=off`). */
  entityCache: EntityCache | null;
  /** Listens on the public and admin ports (0 picks free ones) and resolves with both. */
  listen(): Promise<{ port: number; adminPort: number }>;
  /** Resolves when the query-plan warm-up is over (done, or out of time): readiness turns green then. */
  warmed: Promise<WarmupReport>;
  /** Readiness 503 first (for `SHUTDOWN_DRAIN_DELAY_MS`), then stops accepting, finishes in-flight requests, closes the subgraph pool. */
  stop(): Promise<void>;
}
