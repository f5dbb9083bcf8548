import type { DemandCounters } from '../demand/demandControlPlugin';
import type { SubgraphCallStats } from '../gateway/SubgraphDataSource';

/** Counters a router keeps about itself: tests and benchmarks read them, `/metrics` exports them (RouterMetrics). */
export interface RouterStats {
  /** HTTP requests the router sent to subgraphs. */
  subgraphRequests: number;
  demand: DemandCounters;
  /** Per subgraph: calls, retries, failures by code, calls refused by an open circuit. */
  subgraphs: Record<string, SubgraphCallStats>;
  /** Requests refused with 503 OVERLOADED while the event loop lagged. */
  shed: number;
}

/** All counters at zero. */
export function emptyRouterStats(): RouterStats {
  return { subgraphRequests: 0, demand: { refused: {}, measuredOver: {}, learnedRefusals: 0 }, subgraphs: {}, shed: 0 };
}
