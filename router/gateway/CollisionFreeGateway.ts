import type { GraphQLSchema } from 'graphql';
import type { PreparedSupergraph } from '../supergraph/prepareSupergraph';
import { type Executor, GatewayLayer, type GatewayRequestContext } from './GatewayLayer';
import { ResponseKeyCollisions } from './ResponseKeyCollisions';

/**
 * The gateway with client selections renamed where their response key collides with one the query planner
 * adds (see `ResponseKeyCollisions`): the operation is planned and executed renamed, and the response gets
 * the client's keys back. Operations without a collision go through untouched.
 */
export class CollisionFreeGateway extends GatewayLayer {
  private collisions: ResponseKeyCollisions | null = null;

  protected schemaChanged(supergraph: PreparedSupergraph, apiSchema: GraphQLSchema): void {
    this.collisions = new ResponseKeyCollisions(supergraph.document, apiSchema);
  }

  protected async execute(requestContext: GatewayRequestContext, executor: Executor): ReturnType<Executor> {
    const renamed = this.collisions?.rename(requestContext.document, requestContext.queryHash);
    if (!renamed) return executor(requestContext);
    return ResponseKeyCollisions.restore(await executor({ ...requestContext, ...renamed }));
  }
}
