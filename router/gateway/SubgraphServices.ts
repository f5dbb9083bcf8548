import type { ServiceEndpointDefinition } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { type Logger, USER_ID_HEADER, USER_SCOPES_HEADER } from '../../shared';
import type { EntityCache } from '../cache/EntityCache';
import { type RouterConfig, subgraphSecretFor } from '../RouterConfig';
import { isWarming } from '../RouterContext';
import { CircuitBreaker } from '../resilience/CircuitBreaker';
import { RetryBudget } from '../resilience/RetryBudget';
import { deduplicatingQueries } from './createSubgraphFetcher';
import { type SubgraphCallPolicy, type SubgraphCallStats, SubgraphDataSource } from './SubgraphDataSource';

export interface SubgraphServicesOptions {
  config: RouterConfig;
  /** The router's pool, with calls abandoned after the given timeout (`createSubgraphFetcher().withTimeout`). */
  withTimeout: (timeoutMs: number) => Fetcher;
  /** Each subgraph's credential, resolved at start-up (production refuses to start without one per subgraph). */
  credentials: ReadonlyMap<string, string>;
  /** Where the HTTP requests to subgraphs, and each subgraph's calls, retries, failures and short circuits, are counted. */
  stats: { subgraphRequests: number; subgraphs: Record<string, SubgraphCallStats> };
  logger: Logger;
  /** Sees every call attempt of every subgraph (metrics). */
  observe: (subgraph: string, ...outcome: Parameters<NonNullable<SubgraphCallPolicy['observe']>>) => void;
  /** The entity cache, when it is on (`ENTITY_CACHE`). */
  entityCache?: EntityCache | null;
}

/**
 * The gateway's `buildService`: one SubgraphDataSource per subgraph the supergraph names, reached at its
 * `<NAME>_URL` override or the supergraph's URL, with its timeout, retry budget and circuit breaker. Breakers,
 * retry budgets and counters are kept per name across supergraph reloads: a reload must not reset a failing
 * subgraph's circuit.
 */
export class SubgraphServices {
  private readonly circuitBreakers = new Map<string, CircuitBreaker>();
  private readonly retryBudgets = new Map<string, RetryBudget>();
  private readonly urls = new Map<string, string>();

  constructor(private readonly options: SubgraphServicesOptions) {}

  /** Each subgraph's circuit breaker, by subgraph name. */
  get breakers(): ReadonlyMap<string, CircuitBreaker> {
    return this.circuitBreakers;
  }

  /** The URL the router calls subgraph `name` at (after overrides); undefined before the gateway built it. */
  urlOf(name: string): string | undefined {
    return this.urls.get(name);
  }

  build({ name, url }: ServiceEndpointDefinition): SubgraphDataSource {
    const { config, stats, logger } = this.options;
    const override = config.subgraphUrls[name.toUpperCase()];
    const timeoutMs = config.subgraphTimeouts[name.toUpperCase()] ?? config.subgraphTimeoutMs;
    let breaker = this.circuitBreakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker(name, config.breaker, Date.now, (state) => logger.warn({ subgraph: name, state }, 'circuit breaker'));
      this.circuitBreakers.set(name, breaker);
    }
    let retryBudget = this.retryBudgets.get(name);
    if (!retryBudget) {
      retryBudget = new RetryBudget(config.retry.budgetPercent / 100);
      this.retryBudgets.set(name, retryBudget);
    }
    const timed = this.options.withTimeout(timeoutMs);
    const counted: Fetcher = (fetchUrl, init) => {
      stats.subgraphRequests += 1;
      return timed(fetchUrl, init);
    };
    const source = new WarmableDataSource(
      {
        url: override ?? url,
        fetcher: config.deduplicateQueries ? deduplicatingQueries(counted, [USER_ID_HEADER, USER_SCOPES_HEADER]) : counted,
      },
      this.options.credentials.get(name) ?? subgraphSecretFor(config, name),
      name,
      {
        timeoutMs,
        maxRetries: config.retry.maxRetries,
        retryBaseDelayMs: config.retry.baseDelayMs,
        breaker,
        retryBudget,
        observe: (outcome, seconds) => this.options.observe(name, outcome, seconds),
        logger,
        entityCache: this.options.entityCache,
      },
    );
    if (stats.subgraphs[name]) Object.assign(source.stats, stats.subgraphs[name]);
    stats.subgraphs[name] = source.stats;
    const target = override ?? url;
    if (target !== undefined) this.urls.set(name, target);
    return source;
  }
}

/**
 * Plan warming (`router/warmup/`) runs documents through the request pipeline for their plans only: its
 * requests reach no subgraph (an empty answer, the fields come back null), and pass no breaker, retry or counter.
 */
class WarmableDataSource extends SubgraphDataSource {
  override process(options: Parameters<SubgraphDataSource['process']>[0]): ReturnType<SubgraphDataSource['process']> {
    if (isWarming(options.context)) return Promise.resolve({});
    return super.process(options);
  }
}
