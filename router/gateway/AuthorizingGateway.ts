import type { ApolloGateway } from '@apollo/gateway';
import type { Caller } from '../../shared';
import { AuthorizationPolicy } from '../authorization/AuthorizationPolicy';
import type { PreparedSupergraph } from '../supergraph/prepareSupergraph';

type Executor = NonNullable<Awaited<ReturnType<ApolloGateway['load']>>['executor']>;
type RequestContext = Parameters<Executor>[0];
type SchemaCallback = Parameters<ApolloGateway['onSchemaLoadOrUpdate']>[0];

/**
 * The gateway as Apollo Server sees it: `@apollo/gateway` with the router's authorization in front of
 * planning. Each operation is first stripped of the fields its caller may not read (per `@authenticated`
 * and `@requiresScopes` in the full supergraph), then planned and executed; the stripped fields come back
 * as null with an error at their path. The plan cache stays safe: a stripped document has its own hash.
 */
export class AuthorizingGateway {
  private policy: AuthorizationPolicy | null = null;

  /**
   * `supergraphOf` finds the full supergraph (security directives included) behind the copy the gateway
   * loaded: on every load and hot reload the policy is rebuilt from it, at the moment the schema changes.
   */
  constructor(
    private readonly gateway: ApolloGateway,
    private readonly supergraphOf: (gatewaySdl: string) => PreparedSupergraph | undefined,
  ) {}

  onSchemaLoadOrUpdate(callback: SchemaCallback): () => void {
    return this.gateway.onSchemaLoadOrUpdate((schemaContext) => {
      const supergraph = this.supergraphOf(schemaContext.coreSupergraphSdl);
      if (!supergraph) throw new Error('The gateway loaded a supergraph the router did not prepare');
      this.policy = new AuthorizationPolicy(supergraph, schemaContext.apiSchema);
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

  private async execute(requestContext: RequestContext, executor: Executor): ReturnType<Executor> {
    const policy = this.policy;
    const caller = (requestContext.context as { caller?: Caller }).caller;
    if (!policy || !caller) throw new Error('The router context has no caller, or no supergraph is loaded');
    const authorized = policy.authorize(requestContext.document, requestContext.queryHash, requestContext.operationName, caller);
    if (authorized.removals.length === 0) return executor(requestContext);
    const response: Awaited<ReturnType<Executor>> = authorized.empty
      ? { data: {} }
      : await executor({ ...requestContext, document: authorized.document, queryHash: authorized.queryHash });
    const completed = AuthorizationPolicy.complete(response, authorized);
    return { ...response, ...completed };
  }
}
