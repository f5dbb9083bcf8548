import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { type GraphQLSchema, Kind, type OperationDefinitionNode, parse } from 'graphql';
import type { Logger } from '../../shared';
import { isWarming } from '../RouterContext';
import { placeholderVariables } from './placeholderVariables';

/** A document to plan before the router reports ready. */
export interface WarmDocument {
  body: string;
  /** The operation name as clients send it (the gateway's plan cache keys on it); null: they send none. */
  operationName: string | null;
  /** Where it came from: a trusted-document list, or the shared record of the most used documents. */
  from: 'trusted' | 'record';
}

/** What `/health/ready` shows of the warm-up. */
export interface WarmupReport {
  /** `warming` (readiness 503), then `done`, or `timedOut` when `WARM_TIMEOUT_MS` passed first. */
  state: 'warming' | 'done' | 'timedOut';
  /** Distinct documents to warm, after the `WARM_MAX_DOCUMENTS` bound. */
  documents: number;
  /** Planned: the operation reached the gateway's executor, so its plan is cached in every layer. */
  warmed: number;
  /** Not planned: not valid against the schema served (a record written for an older one), or variables no placeholder fits. */
  skipped: number;
  /** Left when the time bound passed. */
  notReached: number;
  /** Milliseconds the warm-up took, until done or until the time bound. */
  ms: number;
}

/** Runs one document through the router's own request pipeline in warming mode; true when it was planned. */
export type WarmRun = (document: WarmDocument, variables: Record<string, unknown>) => Promise<boolean>;

/**
 * Plans the documents clients are expected to send before the router reports ready, so that a new replica
 * does not spend its first requests' CPU on query planning.
 *
 * Why through the request pipeline (`run`, Apollo Server's `executeOperation` with a warming context) and
 * not a planner call: the plan a request uses sits behind several caches (Apollo Server's parsed and
 * validated documents, the router's layers: authorization, response-key collisions, override labels, then
 * `@apollo/gateway`'s plan cache, which has no public "plan only" call). Running the document the way a
 * request does fills each of them exactly as that request would, with no second copy of their keys. In
 * warming mode no subgraph is called (the data sources answer nothing), no budget is spent, and no usage or
 * request metric is recorded (`skippedWhenWarming`). Documents that need variables get placeholder values
 * of their types (`placeholderVariables`): plans do not depend on variable values.
 *
 * Bounded by count (`maxDocuments`, trusted documents first, then the record's most used) and time
 * (`timeoutMs`): when it passes, the report says `timedOut` and readiness turns green anyway; the documents
 * not reached are planned by their first request, as without warming.
 */
export class PlanWarmer {
  report: WarmupReport = { state: 'warming', documents: 0, warmed: 0, skipped: 0, notReached: 0, ms: 0 };

  private stopped = false;

  constructor(
    private readonly options: {
      maxDocuments: number;
      timeoutMs: number;
      run: WarmRun;
      /** The API schema being served (variables' types). */
      schema: () => GraphQLSchema;
      logger: Logger;
    },
  ) {}

  /** Warms `documents` (loaded by `load`, which counts against the time bound), resolves with the report when done or out of time. */
  async warm(load: () => Promise<WarmDocument[]>): Promise<WarmupReport> {
    const started = performance.now();
    const deadline = started + this.options.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timedOut'>((resolve) => {
      timer = setTimeout(() => resolve('timedOut'), this.options.timeoutMs);
    });
    const work = (async (): Promise<'done' | 'timedOut'> => {
      const documents = distinct(await load()).slice(0, this.options.maxDocuments);
      this.report.documents = documents.length;
      this.report.notReached = documents.length;
      for (const document of documents) {
        if (this.stopped) return 'done' as const;
        if (performance.now() >= deadline) return 'timedOut' as const;
        const variables = this.variablesOf(document);
        if (variables && (await this.options.run(document, variables).catch(() => false))) this.report.warmed += 1;
        else this.report.skipped += 1;
        this.report.notReached -= 1;
        // Probes and the admin port are answered between two documents.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return 'done';
    })().catch((error) => {
      this.options.logger.warn({ err: error }, 'plan warm-up failed; plans are built by first requests');
      return 'done' as const;
    });
    const outcome = await Promise.race([work, timedOut]);
    clearTimeout(timer);
    this.report = { ...this.report, state: outcome === 'timedOut' ? 'timedOut' : 'done', ms: Math.round(performance.now() - started) };
    this.options.logger.info({ warmup: this.report }, 'query plans warmed');
    return this.report;
  }

  /** The router is stopping: no further document is started. */
  stop(): void {
    this.stopped = true;
  }

  private variablesOf(document: WarmDocument): Record<string, unknown> | null {
    let operation: OperationDefinitionNode | undefined;
    try {
      const operations = parse(document.body).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      operation = document.operationName ? operations.find((o) => o.name?.value === document.operationName) : operations[0];
    } catch {
      return null;
    }
    if (!operation || operation.operation === 'subscription') return null;
    return placeholderVariables(this.options.schema(), operation);
  }
}

function distinct(documents: WarmDocument[]): WarmDocument[] {
  const seen = new Set<string>();
  return documents.filter((document) => {
    const key = `${document.operationName ?? ''}\u0000${document.body}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The plugin, except for warming requests: what spends budgets or records usage and metrics must not see them. */
export function skippedWhenWarming<TContext extends BaseContext>(plugin: ApolloServerPlugin<TContext>): ApolloServerPlugin<TContext> {
  const requestDidStart = plugin.requestDidStart;
  if (!requestDidStart) return plugin;
  return {
    ...plugin,
    requestDidStart: async (requestContext) =>
      isWarming(requestContext.contextValue) ? undefined : requestDidStart.call(plugin, requestContext),
  };
}
