import { type ApolloServerPlugin, type GraphQLRequestContext, HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode, type Logger } from '../../shared';
import type { BudgetLimits, BudgetStore } from './BudgetStore';
import { type CostEstimator, InvalidVariables, type OperationAnalysis, TooManyNodes } from './CostEstimator';
import type { DemandControlConfig, Limit, LimitMode } from './DemandControlConfig';
import { ThrottleMemory } from './ThrottleMemory';

/** What demand control keeps for one request, between planning and the response. */
export interface DemandState {
  client: string;
  requestedCost: number;
  /** Points taken from the client's bucket (0 when the budget is off or only measured). */
  charged: number;
  /** Points left in the bucket after the take (null without a budget). */
  available: number | null;
}

/** The context fields demand control reads and writes. */
export interface DemandContext {
  clientKey: string;
  demand?: DemandState;
}

/** Counters for metrics and tests: refusals by code, and what measure mode let through. */
export interface DemandCounters {
  refused: Record<string, number>;
  measuredOver: Record<string, number>;
  /** Refusals other routers made, learned through Redis (SharedThrottleMemory). */
  learnedRefusals: number;
}

/** What a refusal says when the limits are not to be revealed. */
const DISCREET_MESSAGES: Partial<Record<ErrorCode, string>> = {
  COST_ESTIMATED_TOO_EXPENSIVE: 'The operation is too expensive: ask for less (smaller pages, fewer nested lists).',
  MAX_DEPTH_EXCEEDED: 'The operation is nested too deeply.',
  MAX_ALIASES_EXCEEDED: 'The operation uses too many aliases.',
  MAX_ROOT_FIELDS_EXCEEDED: 'The operation selects too many root fields.',
  MAX_TOKENS_EXCEEDED: 'The document is too long.',
};

/**
 * What a cost refusal adds when some list sizes were guessed: which lists, and the three ways to price
 * them by their real size (a slicing argument in the operation, `@listSize` in their subgraph, the default).
 */
function assumedSizes(lists: readonly string[], config: DemandControlConfig): string {
  if (lists.length === 0) return '';
  const slicing = config.slicingArguments.length > 0 ? ` (${config.slicingArguments.join(', ')})` : '';
  return (
    ` The sizes of ${lists.join(', ')} were assumed (COST_DEFAULT_LIST_SIZE: ${config.defaultListSize} items each) because nothing gives them:` +
    ` pass a slicing argument${slicing}, annotate the field with @listSize(assumedSize:) or @listSize(slicingArguments:) in its subgraph,` +
    ' or set COST_DEFAULT_LIST_SIZE.'
  );
}

/**
 * A request error (status 400 unless given). With `reveal`, the message and `extensions` carry the measured
 * value and the limit; without, a message that names neither.
 */
export function refusal(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown>,
  reveal: boolean,
  status = 400,
  headers?: HeaderMap,
): GraphQLError {
  return new GraphQLError(reveal ? message : (DISCREET_MESSAGES[code] ?? message), {
    extensions: { code, ...(reveal ? details : {}), http: { status, headers: headers ?? new HeaderMap() } },
  });
}

export interface DemandControlOptions {
  config: DemandControlConfig;
  budget: BudgetStore | null;
  /** The size of a client's bucket (an API key may have its own); default the configured one. */
  limitsOf?: (client: string) => BudgetLimits;
  logger: Logger;
  counters: DemandCounters;
  /** The estimator for the supergraph being served, with its version (cache key material). */
  current: () => { estimator: CostEstimator; version: string } | null;
  /** Remembers throttled operations, so that their immediate retries are refused before parsing. */
  throttled?: ThrottleMemory;
  /** Sees each answered operation's estimated (requested) and actual cost (metrics). */
  observe?: (requested: number, actual: number) => void;
}

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    if (this.map.size >= this.size) this.map.delete(this.map.keys().next().value as string);
    this.map.set(key, value);
  }
}

/**
 * Demand control, before any subgraph is called: depth, aliases, root fields, page sizes and estimated cost
 * (each `enforce` or `measure`), then the client's budget. After execution it computes the actual cost from
 * the response, refunds what was overcharged and reports both in `extensions.cost` (Shopify's shape).
 * The analysis is cached per supergraph version, document, operation name and the values of the variables
 * that can change it (slicing arguments, weighted arguments, @skip/@include).
 */
export function demandControlPlugin(options: DemandControlOptions): ApolloServerPlugin<DemandContext> {
  const { config, logger, counters } = options;
  const limitsOf = options.limitsOf ?? (() => config.budget);
  const relevantVariables = new Lru<string[]>(5000);
  const analyses = new Lru<OperationAnalysis>(5000);

  const analyze = (context: GraphQLRequestContext<DemandContext>): OperationAnalysis => {
    const current = options.current();
    if (!current || !context.document) throw new Error('No supergraph is loaded');
    const variables = context.request.variables ?? {};
    const operationKey = `${current.version}\u0000${context.queryHash}\u0000${context.operationName ?? ''}`;
    const names = relevantVariables.get(operationKey);
    const key = names ? `${operationKey}\u0000${JSON.stringify(names.map((name) => variables[name] ?? null))}` : null;
    const cached = key ? analyses.get(key) : undefined;
    if (cached) return cached;
    const analysis = current.estimator.analyze(context.document, context.operationName, variables);
    relevantVariables.set(operationKey, analysis.relevantVariables);
    analyses.set(`${operationKey}\u0000${JSON.stringify(analysis.relevantVariables.map((name) => variables[name] ?? null))}`, analysis);
    return analysis;
  };

  /** Applies one limit: throws in enforce mode, logs and counts in measure mode. */
  const check = (over: boolean, mode: LimitMode, error: () => GraphQLError, context: GraphQLRequestContext<DemandContext>): void => {
    if (!over) return;
    const built = error();
    const code = String(built.extensions.code);
    if (mode === 'enforce') {
      counters.refused[code] = (counters.refused[code] ?? 0) + 1;
      logger.info(
        { code, operation: context.operationName, client: context.contextValue.clientKey },
        'operation refused by demand control',
      );
      throw built;
    }
    counters.measuredOver[code] = (counters.measuredOver[code] ?? 0) + 1;
    logger.warn({ code, operation: context.operationName, message: built.message }, 'over a limit in measure mode: let through');
  };
  const overLimit = (measured: number, limit: Limit) => measured > limit.max;

  return {
    async requestDidStart() {
      return {
        async didResolveOperation(context) {
          // With a gateway, Apollo Server passes on a document whose operation it could not pick; the gateway
          // would then fail with a 500. It is the client's request that is wrong: say so with a 400.
          if (!context.operation) {
            const message = context.operationName
              ? `Unknown operation named "${context.operationName}".`
              : 'Must provide operation name if query contains multiple operations.';
            throw refusal(ErrorCode.OPERATION_RESOLUTION_FAILURE, message, {}, false);
          }
          let analysis: OperationAnalysis;
          try {
            analysis = analyze(context);
          } catch (error) {
            if (error instanceof InvalidVariables) throw refusal(ErrorCode.BAD_USER_INPUT, error.message, {}, false);
            if (!(error instanceof TooManyNodes)) throw error;
            throw refusal(ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE, 'The operation has too many selections to estimate.', {}, false);
          }
          const reveal = config.revealLimits;
          const shapeLimits: [number, Limit, ErrorCode, (measured: number, limit: number) => string][] = [
            [
              analysis.depth,
              config.maxDepth,
              ErrorCode.MAX_DEPTH_EXCEEDED,
              (m, l) => `The operation is ${m} levels deep; the limit is ${l}.`,
            ],
            [
              analysis.aliases,
              config.maxAliases,
              ErrorCode.MAX_ALIASES_EXCEEDED,
              (m, l) => `The operation uses ${m} aliases; the limit is ${l}.`,
            ],
            [
              analysis.rootFields,
              config.maxRootFields,
              ErrorCode.MAX_ROOT_FIELDS_EXCEEDED,
              (m, l) => `The operation selects ${m} root fields; the limit is ${l}.`,
            ],
          ];
          for (const [measured, limit, code, describe] of shapeLimits) {
            check(
              overLimit(measured, limit),
              limit.mode,
              () => refusal(code, describe(measured, limit.max), { measured, limit: limit.max }, reveal),
              context,
            );
          }
          const page = analysis.pageSizeViolation;
          check(
            page !== null,
            config.pageSizeMode,
            () =>
              refusal(
                ErrorCode.PAGE_SIZE_EXCEEDED,
                `${page?.coordinate} serves at most ${page?.maximum} items a page, ${page?.requested} requested; page with \`after\` instead.`,
                { measured: page?.requested, limit: page?.maximum, coordinate: page?.coordinate, path: page?.path },
                true,
              ),
            context,
          );
          if (analysis.slicingViolation) {
            const { coordinate, given } = analysis.slicingViolation;
            throw refusal(
              ErrorCode.GRAPHQL_VALIDATION_FAILED,
              `${coordinate} needs exactly one slicing argument to be estimated, got ${given}.`,
              {},
              false,
            );
          }
          check(
            overLimit(analysis.cost, config.maxCost),
            config.maxCost.mode,
            () =>
              refusal(
                ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
                `The operation's estimated cost is ${analysis.cost}; the limit is ${config.maxCost.max}.${assumedSizes(analysis.assumedLists, config)}`,
                { measured: analysis.cost, limit: config.maxCost.max, assumedListSizes: analysis.assumedLists },
                reveal,
              ),
            context,
          );

          const state: DemandState = { client: context.contextValue.clientKey, requestedCost: analysis.cost, charged: 0, available: null };
          context.contextValue.demand = state;
          if (!options.budget || config.budget.mode === 'off') return;
          const taken = await options.budget.take(state.client, analysis.cost, limitsOf(state.client));
          state.available = taken.available;
          if (taken.allowed) {
            state.charged = analysis.cost;
            return;
          }
          if (config.budget.mode === 'enforce') {
            const { query, operationName, variables } = context.request;
            options.throttled?.remember(
              state.client,
              ThrottleMemory.operationKey(query ?? '', operationName, variables),
              taken.retryAfterSeconds,
            );
          }
          const headers = new HeaderMap([['retry-after', String(taken.retryAfterSeconds)]]);
          check(
            true,
            config.budget.mode,
            () =>
              refusal(
                ErrorCode.THROTTLED,
                `This operation costs ${analysis.cost} points and ${Math.floor(taken.available)} are available; retry in ${taken.retryAfterSeconds} s.`,
                {
                  requestedCost: analysis.cost,
                  currentlyAvailable: Math.floor(taken.available),
                  retryAfterSeconds: taken.retryAfterSeconds,
                },
                true,
                429,
                headers,
              ),
            context,
          );
        },

        async willSendResponse(context) {
          const state = context.contextValue.demand;
          const body = context.response.body;
          if (!state || body.kind !== 'single') return;
          const current = options.current();
          let actual = state.requestedCost;
          if (current && context.document) {
            actual = current.estimator.actualCost(
              context.document,
              context.operationName,
              context.request.variables ?? {},
              body.singleResult.data,
            );
          }
          options.observe?.(state.requestedCost, actual);
          let available = state.available;
          if (options.budget && state.charged > 0) {
            const refund = Math.max(0, state.charged - actual);
            available = await options.budget.refund(state.client, refund, limitsOf(state.client));
          }
          const limits = limitsOf(state.client);
          body.singleResult.extensions = {
            ...body.singleResult.extensions,
            cost: {
              requestedQueryCost: state.requestedCost,
              actualQueryCost: actual,
              throttleStatus: {
                maximumAvailable: limits.capacity,
                currentlyAvailable: available === null ? null : Math.floor(available),
                restoreRate: limits.restorePerSecond,
              },
            },
          };
        },
      };
    },
  };
}
