import type { ApolloGateway } from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import type { PreparedSupergraph } from '../supergraph/prepareSupergraph';

/** What Apollo Server uses of a gateway: what `ApolloGateway` and every `GatewayLayer` over it offer. */
export type GatewayInterface = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;
export type Executor = NonNullable<Awaited<ReturnType<ApolloGateway['load']>>['executor']>;
export type GatewayRequestContext = Parameters<Executor>[0];
type SchemaCallback = Parameters<ApolloGateway['onSchemaLoadOrUpdate']>[0];

/**
 * A step of the router in front of `@apollo/gateway`'s executor, as Apollo Server sees a gateway: on every
 * load and hot reload it is given the full supergraph (found by `supergraphOf` behind the copy the gateway
 * loaded) and the API schema, at the moment the schema changes; for every operation it may change the
 * document before planning and the response after execution. Layers stack: each wraps the next.
 */
export abstract class GatewayLayer implements GatewayInterface {
  constructor(
    private readonly gateway: GatewayInterface,
    private readonly supergraphOf: (gatewaySdl: string) => PreparedSupergraph | undefined,
  ) {}

  /** Rebuilds what the layer derives from the supergraph. */
  protected abstract schemaChanged(supergraph: PreparedSupergraph, apiSchema: GraphQLSchema): void;

  /** Runs one operation through `executor` (the next layer, or the gateway's own). */
  protected abstract execute(requestContext: GatewayRequestContext, executor: Executor): ReturnType<Executor>;

  onSchemaLoadOrUpdate(callback: SchemaCallback): () => void {
    return this.gateway.onSchemaLoadOrUpdate((schemaContext) => {
      const supergraph = this.supergraphOf(schemaContext.coreSupergraphSdl);
      if (!supergraph) throw new Error('The gateway loaded a supergraph the router did not prepare');
      this.schemaChanged(supergraph, schemaContext.apiSchema);
      callback(schemaContext);
    });
  }

  async load(options: Parameters<ApolloGateway['load']>[0]): ReturnType<ApolloGateway['load']> {
    const loaded = await this.gateway.load(options);
    return { ...loaded, executor: (requestContext) => this.execute(requestContext, loaded.executor) };
  }

  stop(): Promise<void> {
    return this.gateway.stop();
  }
}
