import type { GraphQLSchema } from 'graphql';
import type { Caller } from '../../shared';
import { AuthorizationPolicy } from '../authorization/AuthorizationPolicy';
import type { PreparedSupergraph } from '../supergraph/prepareSupergraph';
import { type Executor, GatewayLayer, type GatewayRequestContext } from './GatewayLayer';

/**
 * The gateway as Apollo Server sees it: `@apollo/gateway` with the router's authorization in front of
 * planning. Each operation is first stripped of the fields its caller may not read (per `@authenticated`
 * and `@requiresScopes` in the full supergraph), then planned and executed; the stripped fields come back
 * as null with an error at their path. The plan cache stays safe: a stripped document has its own hash.
 * The policy is rebuilt from the full supergraph (security directives included) on every load and reload.
 */
export class AuthorizingGateway extends GatewayLayer {
  private policy: AuthorizationPolicy | null = null;

  /** Every scope the served supergraph's `@requiresScopes` name: a caller holding them all is stripped of nothing. */
  get scopes(): ReadonlySet<string> {
    return this.policy?.knownScopes ?? new Set();
  }

  protected schemaChanged(supergraph: PreparedSupergraph, apiSchema: GraphQLSchema): void {
    this.policy = new AuthorizationPolicy(supergraph, apiSchema);
  }

  protected async execute(requestContext: GatewayRequestContext, executor: Executor): ReturnType<Executor> {
    const policy = this.policy;
    const caller = (requestContext.context as { caller?: Caller }).caller;
    if (!policy || !caller) throw new Error('The router context has no caller, or no supergraph is loaded');
    const authorized = policy.authorize(requestContext.document, requestContext.queryHash, requestContext.operationName, caller);
    if (authorized.removals.length === 0) return executor(requestContext);
    const response: Awaited<ReturnType<Executor>> = authorized.empty
      ? {}
      : await executor({ ...requestContext, document: authorized.document, queryHash: authorized.queryHash });
    const completed = AuthorizationPolicy.complete(response, authorized);
    return { ...response, ...completed };
  }
}
