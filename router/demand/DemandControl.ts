import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Caller, Logger } from '../../shared';
import { ApiKeys } from './ApiKeys';
import { type BudgetLimits, type BudgetStore, InMemoryBudgetStore, RedisBudgetStore } from './BudgetStore';
import { CostEstimator } from './CostEstimator';
import { CostModel } from './CostModel';
import { clientKeyOf } from './clientKeyOf';
import type { DemandControlConfig } from './DemandControlConfig';
import { type DemandContext, type DemandCounters, demandControlPlugin } from './demandControlPlugin';
import { EarlyRefusals } from './EarlyRefusals';
import { inferListSizes } from './inferListSizes';
import { SharedThrottleMemory } from './SharedThrottleMemory';
import { ThrottleMemory } from './ThrottleMemory';

export interface DemandControlOptions {
  config: DemandControlConfig;
  /** The router's body limit (`ROUTER_MAX_BODY_BYTES`). */
  maxBodyBytes: number;
  /** Where refusals and measured excesses are counted, by code. */
  counters: DemandCounters;
  logger: Logger;
  /** Sees each answered operation's estimated (requested) and actual cost (metrics). */
  observe: (requested: number, actual: number) => void;
}

/**
 * Demand control, put together: the client budgets (in process, or in Redis for several replicas), the memory
 * of throttled operations (shared through Redis too), the cost estimator of the supergraph being served, the Apollo Server plugin that
 * checks limits and budgets after parsing, and the refusals that come before it.
 */
export class DemandControl {
  readonly early: EarlyRefusals;
  /** Whether a request may carry a JSON array of operations (`BATCHING`, default false). */
  readonly batching: boolean;
  readonly plugin: ApolloServerPlugin<DemandContext>;
  private readonly budget: BudgetStore | null;
  private readonly apiKeys: ApiKeys;
  private readonly clientKeyOptions: Parameters<typeof clientKeyOf>[2];
  /** The throttle memory shared with the other routers on `REDIS_URL`, when set. */
  private readonly sharedThrottle: SharedThrottleMemory | null;
  private estimator: { estimator: CostEstimator; version: string } | null = null;

  constructor(private readonly options: DemandControlOptions) {
    const { config, counters, logger } = options;
    this.batching = config.batching;
    this.budget =
      config.budget.mode === 'off'
        ? null
        : config.redisUrl
          ? new RedisBudgetStore(config.redisUrl, config.budget, logger)
          : new InMemoryBudgetStore(config.budget);
    this.apiKeys = new ApiKeys(config.apiKeys, config.apiKeyHeader);
    this.clientKeyOptions = { apiKeyHeader: config.apiKeyHeader, trustedProxies: config.trustedProxies, apiKeys: this.apiKeys };
    const throttled = new ThrottleMemory();
    this.sharedThrottle =
      config.redisUrl && config.budget.mode === 'enforce' ? new SharedThrottleMemory(config.redisUrl, throttled, logger, counters) : null;
    this.early = new EarlyRefusals(config, options.maxBodyBytes, counters, throttled, logger);
    this.plugin = demandControlPlugin({
      config,
      budget: this.budget,
      limitsOf: (client) => this.limitsOf(client),
      logger,
      counters,
      current: () => this.estimator,
      throttled,
      observe: options.observe,
    });
  }

  /**
   * Builds the estimator for a newly loaded supergraph (its full document, with `@cost` and `@listSize`) on
   * every load and hot reload: estimates are cached per supergraph version. List fields without `@listSize`
   * are sized by a slicing argument when they have one (`COST_SLICING_ARGUMENTS`), and one log line says how
   * every list of this supergraph is sized.
   */
  useSupergraph(supergraph: DocumentNode, apiSchema: GraphQLSchema, version: string): void {
    const { config, logger } = this.options;
    const costModel = new CostModel(supergraph);
    const listSizes = inferListSizes(costModel, apiSchema, config.slicingArguments, config.defaultListSize);
    logger.info({ version, inferredSlicing: listSizes.inferred, fallingBack: listSizes.fallingBack }, listSizes.line);
    this.estimator = {
      estimator: new CostEstimator(costModel, apiSchema, { defaultListSize: config.defaultListSize }),
      version,
    };
  }

  /** Whose budget a request spends (see clientKeyOf); throws a 401 HttpError for an API key that is not listed. */
  clientKeyOf(req: IncomingMessage, caller: Caller): string {
    return clientKeyOf(req, caller, this.clientKeyOptions);
  }

  /** The size of a client's bucket: a listed API key's own, else the configured one. */
  private limitsOf(client: string): BudgetLimits {
    const { budget } = this.options.config;
    const key = client.startsWith('key:') ? this.apiKeys.named(client.slice(4)) : undefined;
    if (!key) return budget;
    return { capacity: key.capacity ?? budget.capacity, restorePerSecond: key.restorePerSecond ?? budget.restorePerSecond };
  }

  /** Settles once what is shared through Redis is listening (at most a second; never fails). */
  async ready(): Promise<void> {
    await this.sharedThrottle?.subscribed;
  }

  async close(): Promise<void> {
    await this.budget?.close();
    await this.sharedThrottle?.close();
  }
}
