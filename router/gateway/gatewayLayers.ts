import type { ApolloGateway } from '@apollo/gateway';
import type { SupergraphSource } from '../supergraph/SupergraphSource';
import { AuthorizingGateway } from './AuthorizingGateway';
import { CollisionFreeGateway } from './CollisionFreeGateway';
import type { NamedLabels } from './overrideLabels/overrideLabels';
import { LabelKeyedPlans, ProgressiveOverrideGateway } from './overrideLabels/ProgressiveOverrideGateway';

/**
 * The layers Apollo Server sees in front of `@apollo/gateway`, outermost first: the request's override labels
 * decided (and the query hash keyed by them), authorization applied before planning, colliding response keys
 * renamed, and the gateway's plan cache keyed by the label set.
 */
export function gatewayLayers(
  gateway: ApolloGateway,
  source: Pick<SupergraphSource, 'versionOfGatewaySdl'>,
  labels: { enabled: boolean; named: NamedLabels; count: (label: string, on: boolean) => void },
): { served: ProgressiveOverrideGateway; authorizing: AuthorizingGateway } {
  const supergraphOf = (gatewaySdl: string) => source.versionOfGatewaySdl(gatewaySdl)?.prepared;
  const authorizing = new AuthorizingGateway(
    new CollisionFreeGateway(new LabelKeyedPlans(gateway, supergraphOf), supergraphOf),
    supergraphOf,
  );
  return { served: new ProgressiveOverrideGateway(authorizing, supergraphOf, labels), authorizing };
}
