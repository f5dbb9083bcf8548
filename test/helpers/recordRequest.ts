import { HeaderMap } from '@apollo/server';
import { type GraphQLSchema, getOperationAST, parse } from 'graphql';
import type { UsageRecorder } from '../../router';

/**
 * Runs the usage recorder's plugin on one request, as Apollo Server calls it once the operation is resolved
 * and validated against `schema`: `client` as the `apollographql-client-name` header.
 */
export async function recordRequest(
  recorder: UsageRecorder,
  schema: GraphQLSchema,
  query: string,
  variables: Record<string, unknown>,
  { operationName, client = 'web' }: { operationName?: string; client?: string } = {},
): Promise<void> {
  const document = parse(query);
  const operation = getOperationAST(document, operationName);
  const hooks = (await recorder.plugin(() => 'v1').requestDidStart?.({} as never)) as unknown as {
    didResolveOperation(context: unknown): Promise<void>;
  };
  await hooks.didResolveOperation({
    document,
    operation,
    operationName: operation?.name?.value ?? null,
    queryHash: query,
    source: query,
    schema,
    request: { query, variables, operationName, http: { headers: new HeaderMap([['apollographql-client-name', client]]) } },
  });
}
