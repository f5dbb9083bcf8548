import type { IncomingHttpHeaders } from 'node:http';
import { HttpError, Metrics, type RequestHandler } from '../../shared';
import { gatewayFastPathCalls } from '../gateway/fastPaths/installGatewayFastPaths';
import type { SubgraphFailureCode } from '../gateway/SubgraphDataSource';
import type { CircuitBreaker } from '../resilience/CircuitBreaker';
import type { LoadShedder } from '../resilience/LoadShedder';
import type { RouterStats } from './RouterStats';

type Histogram = ReturnType<Metrics['histogram']>;

const CIRCUIT_STATES: Record<string, number> = { closed: 0, 'half-open': 1, open: 2 };
const COST_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/**
 * The router's Prometheus metrics, served on the admin port at `/metrics`: the GraphQL request metrics every
 * process has (`Metrics`), subgraph call latency and errors, demand control's costs, and collectors that read
 * the router's own counters (`RouterStats`), circuits and event-loop lag when Prometheus scrapes.
 */
export class RouterMetrics {
  readonly metrics = new Metrics('router');
  private readonly fetchDuration = this.metrics.histogram(
    'subgraph_fetch_duration_seconds',
    'Subgraph call latency, by subgraph and outcome.',
    ['subgraph', 'outcome'],
  );
  private readonly fetchErrors = this.metrics.counter('subgraph_fetch_errors_total', 'Failed subgraph calls, by subgraph and code.', [
    'subgraph',
    'code',
  ]);
  private readonly overrideLabels = this.metrics.counter(
    'override_label_requests_total',
    'Requests planned with each progressive @override label of the supergraph, by label and whether it was on.',
    ['label', 'active'],
  );
  private readonly estimatedCost: Histogram;
  private readonly actualCost: Histogram;

  constructor(stats: RouterStats, breakers: ReadonlyMap<string, CircuitBreaker>, shedder: LoadShedder) {
    registerCollectors(this.metrics, stats, breakers, shedder);
    this.estimatedCost = this.metrics.histogram(
      'demand_estimated_cost',
      'Estimated (requested) cost of answered operations.',
      [],
      COST_BUCKETS,
    );
    this.actualCost = this.metrics.histogram(
      'demand_actual_cost',
      'Actual cost of answered operations, from the response.',
      [],
      COST_BUCKETS,
    );
  }

  /** One subgraph call attempt: `ok`, its failure code, or `error` for any other failure. */
  observeFetch(subgraph: string, outcome: 'ok' | 'error' | SubgraphFailureCode, seconds: number): void {
    this.fetchDuration.observe({ subgraph, outcome }, seconds);
    if (outcome !== 'ok') this.fetchErrors.inc({ subgraph, code: outcome === 'error' ? 'SUBGRAPH_ERROR' : outcome });
  }

  /** One request planned with `label` on or off (labels come from the supergraph, so their number is bounded). */
  observeOverrideLabel(label: string, on: boolean): void {
    this.overrideLabels.inc({ label, active: on ? 'true' : 'false' });
  }

  /** An answered operation's estimated (requested) and actual cost. */
  observeCost(requested: number, actual: number): void {
    this.estimatedCost.observe(requested);
    this.actualCost.observe(actual);
  }

  /** A request refused before GraphQL ran, with its code: counted with the outcome `refused`. */
  recordRefusal(headers: IncomingHttpHeaders, code: string): void {
    this.metrics.recordRequest({ operation: null, headers, outcome: 'refused', seconds: 0, codes: [code] });
  }

  /** Counts requests refused before GraphQL runs (401, 413, 429, 503…) as `refused`, with their code. */
  countRefusals(handler: RequestHandler): RequestHandler {
    return async (req, res, url) => {
      try {
        await handler(req, res, url);
      } catch (error) {
        if (error instanceof HttpError) this.recordRefusal(req.headers, error.code);
        throw error;
      }
    };
  }
}

/** Metrics read from the router's own counters when Prometheus scrapes. */
function registerCollectors(metrics: Metrics, stats: RouterStats, breakers: ReadonlyMap<string, CircuitBreaker>, shedder: LoadShedder) {
  metrics.gauge('subgraph_circuit_state', 'Circuit breaker per subgraph: 0 closed, 1 half-open, 2 open.', ['subgraph'], function collect() {
    for (const [name, breaker] of breakers) this.set({ subgraph: name }, CIRCUIT_STATES[breaker.current]);
  });
  metrics.counter('subgraph_retries_total', 'Retried subgraph calls (queries only).', ['subgraph'], function collect() {
    this.reset();
    for (const [name, calls] of Object.entries(stats.subgraphs)) this.inc({ subgraph: name }, calls.retries);
  });
  metrics.counter(
    'subgraph_short_circuited_total',
    'Subgraph calls refused at once because the circuit was open.',
    ['subgraph'],
    function collect() {
      this.reset();
      for (const [name, calls] of Object.entries(stats.subgraphs)) this.inc({ subgraph: name }, calls.shortCircuited);
    },
  );
  metrics.counter('router_shed_total', 'Requests refused with 503 OVERLOADED while the event loop lagged.', [], function collect() {
    this.reset();
    this.inc(stats.shed);
  });
  metrics.gauge(
    'router_event_loop_lag_seconds',
    'Worst event-loop delay in the last second (what load shedding looks at).',
    [],
    function collect() {
      this.set(shedder.lagMs / 1000);
    },
  );
  metrics.counter(
    'gateway_fast_path_calls_total',
    'Calls that reached each gateway fast path (process-wide): flat under traffic means the stock path serves.',
    ['fast_path'],
    function collect() {
      this.reset();
      for (const [fastPath, count] of Object.entries(gatewayFastPathCalls())) this.inc({ fast_path: fastPath }, count);
    },
  );
  metrics.counter('demand_refusals_total', 'Operations refused by demand control, by code.', ['code'], function collect() {
    this.reset();
    for (const [code, count] of Object.entries(stats.demand.refused)) this.inc({ code }, count);
  });
  metrics.counter(
    'demand_measured_over_total',
    'Operations over a limit in measure mode (let through), by code.',
    ['code'],
    function collect() {
      this.reset();
      for (const [code, count] of Object.entries(stats.demand.measuredOver)) this.inc({ code }, count);
    },
  );
}
