import type { DefinitionNode, DocumentNode } from 'graphql';

type Operations = typeof import('@apollo/federation-internals/dist/operations');
type OperationFromDocument = Operations['operationFromDocument'];
type Schema = Parameters<OperationFromDocument>[0];
type Operation = ReturnType<OperationFromDocument>;

interface Reusable {
  /** The fragment definitions the operation was built with (the same objects, in the same order). */
  fragments: readonly DefinitionNode[];
  operation: Operation;
}

/**
 * `operationFromDocument` that returns the operation it built before for the same definitions, for the one
 * call that `@apollo/gateway` makes on every request: `executeQueryPlan` turns the request's operation and
 * fragments (`{ validate: false }`) into federation-internals' representation again each time, 1.9 % of the
 * router's busy CPU on "my orders", although Apollo Server hands it the same parsed document for the same
 * query text. Reusing it also keeps the fast result shaping's compiled selections across requests.
 *
 * Keyed by the API schema (a reload starts afresh) and the identity of the operation definition node, and
 * checked against the identity of every fragment definition: a document Apollo Server parsed again, or one
 * the router's authorization rewrote, is a different object and is built anew. Variables are not part of the
 * operation (they are applied at execution). Everything else, including failures, goes to the original.
 */
export function reusingOperations(original: OperationFromDocument): OperationFromDocument {
  const bySchema = new WeakMap<Schema, WeakMap<DefinitionNode, Reusable>>();
  return (schema, document, options) => {
    const definitions = document.definitions;
    if (!isExecutionCall(options) || definitions.length === 0) return original(schema, document, options);
    const [first, ...fragments] = definitions;
    let known = bySchema.get(schema);
    if (!known) {
      known = new WeakMap();
      bySchema.set(schema, known);
    }
    const reusable = known.get(first);
    if (reusable && sameDefinitions(reusable.fragments, fragments)) return reusable.operation;
    const operation = original(schema, document as DocumentNode, options);
    known.set(first, { fragments, operation });
    return operation;
  };
}

/** The options `executeQueryPlan` passes, and nothing else: `{ validate: false }`. */
function isExecutionCall(options: Parameters<OperationFromDocument>[2]): boolean {
  return options?.validate === false && Object.keys(options).length === 1;
}

function sameDefinitions(a: readonly DefinitionNode[], b: readonly DefinitionNode[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
