import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../../shared';
import type { RouterConfig } from '../RouterConfig';
import type { RouterContext } from '../RouterContext';
import { PlanWarmer, type WarmDocument } from './PlanWarmer';

/**
 * Starts warming the query plans before readiness turns green (see PlanWarmer for why through the request
 * pipeline): the trusted documents, then the most used documents the routers recorded, within
 * `WARM_MAX_DOCUMENTS` and `WARM_TIMEOUT_MS`. Warming runs as a caller holding every scope the supergraph names,
 * so nothing is stripped and the full document's plan is built (callers lacking a scope plan their stripped
 * variant on first use).
 */
export function startPlanWarming(options: {
  config: Pick<RouterConfig, 'warmup' | 'requestTimeoutMs'>;
  apollo: ApolloServer<RouterContext>;
  /** Every scope the served supergraph names. */
  scopes: () => ReadonlySet<string>;
  /** The API schema being served (null before the gateway has loaded one). */
  schema: () => GraphQLSchema | null;
  trusted: readonly { type: string; body: string; name: string | null }[];
  /** The shared record's most used documents, or null without a usage store. */
  recorded: ((limit: number) => Promise<{ operationName: string | null; body: string }[]>) | null;
  logger: Logger;
}): { warmer: PlanWarmer; warmed: ReturnType<PlanWarmer['warm']> } {
  const { config, apollo, logger } = options;
  const { maxDocuments, timeoutMs } = config.warmup;
  const warmer = new PlanWarmer({
    maxDocuments,
    timeoutMs,
    schema: () => {
      const schema = options.schema();
      if (!schema) throw new Error('No supergraph is loaded');
      return schema;
    },
    logger,
    run: async (document, variables) => {
      const contextValue: RouterContext = {
        caller: { userId: 'plan-warming', scopes: options.scopes() },
        deadline: performance.now() + config.requestTimeoutMs,
        clientKey: 'plan-warming',
        warming: true,
      };
      const response = await apollo.executeOperation(
        { query: document.body, variables, ...(document.operationName ? { operationName: document.operationName } : {}) },
        { contextValue },
      );
      // Planned when the operation reached execution: a response with data, null fields included.
      return response.body.kind === 'single' && response.body.singleResult.data !== undefined;
    },
  });
  const warmed = warmer.warm(async () => {
    if (maxDocuments === 0) return [];
    const trusted: WarmDocument[] = options.trusted
      .filter((operation) => operation.type !== 'subscription')
      .map((operation) => ({ body: operation.body, operationName: operation.name, from: 'trusted' }));
    const recorded: WarmDocument[] =
      trusted.length < maxDocuments && options.recorded
        ? (await options.recorded(maxDocuments)).map((row) => ({ ...row, from: 'record' }))
        : [];
    return [...trusted, ...recorded];
  });
  return { warmer, warmed };
}
