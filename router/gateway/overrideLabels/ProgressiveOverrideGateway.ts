import type { GraphQLSchema } from 'graphql';
import type { PreparedSupergraph } from '../../supergraph/prepareSupergraph';
import { type Executor, type GatewayInterface, GatewayLayer, type GatewayRequestContext } from '../GatewayLayer';
import { decideLabels, type NamedLabels, type OverrideLabel, overrideLabelsOf } from './overrideLabels';
import { currentLabels, withLabels } from './plannerHook';

/** A query hash for the caches of the layers below and the gateway's plan cache: one per document and label set. */
function keyed(queryHash: string, labelKey: string): string {
  return `${queryHash}\u0000override:${labelKey}`;
}

/**
 * Progressive `@override(label:)`, in front of everything else: decides each request's labels (see
 * `decideLabels`), counts them, and executes the request inside `withLabels`, so that the planner plans it
 * with them (`plannerHook.ts`). The query hash the layers below see is keyed by the active label set, so the
 * authorization and collision caches (and through `LabelKeyedPlans`, the plan cache) never hand a plan or a
 * rewrite made for one set to another. A supergraph without labels, or with the feature off, costs nothing.
 */
export class ProgressiveOverrideGateway extends GatewayLayer {
  private labels: OverrideLabel[] = [];

  constructor(
    gateway: GatewayInterface,
    supergraphOf: (gatewaySdl: string) => PreparedSupergraph | undefined,
    private readonly options: {
      /** False when progressive override is off (`ROUTER_OVERRIDE_LABELS`) or the planner hook refused to install. */
      enabled: boolean;
      named: NamedLabels;
      /** One request planned with `label` on or off. */
      count: (label: string, on: boolean) => void;
    },
  ) {
    super(gateway, supergraphOf);
  }

  /** The labels of the supergraph being served. */
  get supergraphLabels(): readonly OverrideLabel[] {
    return this.labels;
  }

  protected schemaChanged(supergraph: PreparedSupergraph, _apiSchema: GraphQLSchema): void {
    this.labels = overrideLabelsOf(supergraph.document);
  }

  protected execute(requestContext: GatewayRequestContext, executor: Executor): ReturnType<Executor> {
    const labels = this.labels;
    if (!this.options.enabled || labels.length === 0) return executor(requestContext);
    const decided = decideLabels(labels, this.options.named.labels);
    for (const { label } of labels) this.options.count(label, decided.active.has(label));
    if (decided.key === '') return executor(requestContext);
    return withLabels(decided, () => executor({ ...requestContext, queryHash: keyed(requestContext.queryHash, decided.key) }));
  }
}

/**
 * Right in front of `@apollo/gateway`: keys the hash its plan cache uses by the request's label set. The
 * layers between may have replaced the hash (a document stripped by authorization is hashed anew), so the
 * outer layer's keying alone would not reach the plan cache.
 */
export class LabelKeyedPlans extends GatewayLayer {
  protected schemaChanged(): void {}

  protected execute(requestContext: GatewayRequestContext, executor: Executor): ReturnType<Executor> {
    const labels = currentLabels();
    if (!labels || labels.key === '') return executor(requestContext);
    return executor({ ...requestContext, queryHash: keyed(requestContext.queryHash, labels.key) });
  }
}
