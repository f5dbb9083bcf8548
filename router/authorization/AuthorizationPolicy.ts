import { createHash } from 'node:crypto';
import {
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  print,
  type SelectionSetNode,
} from 'graphql';
import {
  type Caller,
  type DenialCode,
  denialFor,
  denialMessage,
  mergeRequirements,
  ownValue,
  type Requirement,
  ResponseObject,
  requirementOf,
} from '../../shared';
import type { PreparedSupergraph } from '../supergraph/prepareSupergraph';

/** One step of a response path, with the schema type of the field there (for null propagation). */
interface Segment {
  key: string;
  type: GraphQLOutputType;
}

/** A field removed from the operation: it is answered with null, and an error at its path. */
interface Removal {
  path: Segment[];
  error: { code: DenialCode; message: string };
}

export interface AuthorizedOperation {
  /** The document to plan: the original when nothing was removed. */
  document: DocumentNode;
  /** A hash of `document` for plan caching; the original query hash when nothing was removed. */
  queryHash: string;
  removals: Removal[];
  /** Objects whose every selected field was refused: they were asked for a placeholder, removed again from the response. */
  placeholders: Segment[][];
  /** True when every root field was removed: nothing to send to any subgraph. */
  empty: boolean;
}

/**
 * The authorization rules a supergraph declares with `@authenticated` and `@requiresScopes`, applied to
 * operations before planning: a field the caller may not read is taken out of the operation (so no subgraph
 * is asked for it) and answered with null and an error at its path, the rest of the operation still runs.
 *
 * Semantics follow Apollo Router's: a directive on a field protects that field; on a type, every field
 * returning that type; an interface field is protected by what protects the same field of any implementation.
 */
export class AuthorizationPolicy {
  private readonly fieldRules = new Map<string, Requirement>();
  private readonly typeRules = new Map<string, Requirement>();
  /** Field names that are protected somewhere: an operation that names none of them needs no analysis. */
  readonly protectedFieldNames = new Set<string>();
  /** Every scope the supergraph mentions; other scopes a caller holds cannot change a decision. */
  readonly knownScopes = new Set<string>();
  private readonly cache = new Map<string, AuthorizedOperation>();

  constructor(
    supergraph: PreparedSupergraph,
    private readonly schema: GraphQLSchema,
    private readonly cacheSize = 1000,
  ) {
    const rule = (directives: readonly ConstDirectiveNode[] | undefined): Requirement | null => {
      const requirement = requirementOf(directives, supergraph.securityDirectives);
      for (const anyOf of requirement?.scopes ?? []) for (const allOf of anyOf) for (const scope of allOf) this.knownScopes.add(scope);
      return requirement;
    };
    for (const definition of supergraph.document.definitions) {
      if (!('name' in definition) || !definition.name) continue;
      const typeName = definition.name.value;
      if ('directives' in definition) {
        const typeRule = rule(definition.directives as readonly ConstDirectiveNode[]);
        if (typeRule) this.typeRules.set(typeName, mergeRequirements(this.typeRules.get(typeName), typeRule) as Requirement);
      }
      if (
        definition.kind === Kind.OBJECT_TYPE_DEFINITION ||
        definition.kind === Kind.INTERFACE_TYPE_DEFINITION ||
        definition.kind === Kind.OBJECT_TYPE_EXTENSION ||
        definition.kind === Kind.INTERFACE_TYPE_EXTENSION
      ) {
        for (const field of definition.fields ?? []) {
          const fieldRule = rule(field.directives);
          const coordinate = `${typeName}.${field.name.value}`;
          if (fieldRule) this.fieldRules.set(coordinate, mergeRequirements(this.fieldRules.get(coordinate), fieldRule) as Requirement);
        }
      }
    }
    // An interface field is as protected as the same field of any implementation.
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isInterfaceType(type)) continue;
      for (const implementation of schema.getPossibleTypes(type)) {
        for (const fieldName of Object.keys(type.getFields())) {
          const implemented = this.fieldRules.get(`${implementation.name}.${fieldName}`);
          const coordinate = `${type.name}.${fieldName}`;
          if (implemented) this.fieldRules.set(coordinate, mergeRequirements(this.fieldRules.get(coordinate), implemented) as Requirement);
        }
      }
    }
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (this.requirementFor(type, field)) this.protectedFieldNames.add(field.name);
      }
    }
  }

  /** What reading `parent.field` requires, or null when anyone may. */
  requirementFor(parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>): Requirement | null {
    const own = this.fieldRules.get(`${parent.name}.${field.name}`) ?? null;
    const returned = this.typeRules.get(getNamedType(field.type).name) ?? null;
    return mergeRequirements(own, returned);
  }

  /**
   * Removes what `caller` may not read from the operation. Cached per document, operation name and the
   * caller's relevant rights (signed in or not, and which of the schema's scopes they hold).
   */
  authorize(document: DocumentNode, queryHash: string, operationName: string | null, caller: Caller): AuthorizedOperation {
    const unchanged: AuthorizedOperation = { document, queryHash, removals: [], placeholders: [], empty: false };
    if (this.protectedFieldNames.size === 0 || !namesAnyField(document, this.protectedFieldNames)) return unchanged;
    const rights =
      caller.userId === null
        ? 'anonymous'
        : `user:${[...caller.scopes]
            .filter((s) => this.knownScopes.has(s))
            .sort()
            .join(' ')}`;
    const key = `${queryHash}\u0000${operationName ?? ''}\u0000${rights}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const result = this.filter(document, operationName, caller) ?? unchanged;
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, result);
    return result;
  }

  private filter(document: DocumentNode, operationName: string | null, caller: Caller): AuthorizedOperation | null {
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName ? operations.find((op) => op.name?.value === operationName) : operations[0];
    const rootType = operation && this.schema.getRootType(operation.operation);
    if (!operation || !rootType) return null;
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
    );
    const removals: Removal[] = [];
    const placeholders: Segment[][] = [];
    const filterSet = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, path: Segment[]): SelectionSetNode | null => {
      const kept: SelectionSetNode['selections'][number][] = [];
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const field = fieldOf(parent, selection);
          if (!field) {
            kept.push(selection);
            continue;
          }
          const segment = { key: selection.alias?.value ?? selection.name.value, type: field.type };
          const requirement = this.requirementFor(parent, field);
          const code = requirement && denialFor(requirement, caller);
          if (code) {
            removals.push({ path: [...path, segment], error: { code, message: denialMessage(code, `${parent.name}.${field.name}`) } });
            continue;
          }
          const namedType = getNamedType(field.type);
          if (selection.selectionSet && isCompositeType(namedType)) {
            const inner = filterSet(selection.selectionSet, namedType, [...path, segment]);
            if (!inner) {
              // Everything below was refused (with errors of its own). The object itself is still answered:
              // a placeholder keeps the selection valid and is taken out of the response again.
              placeholders.push([...path, segment]);
              kept.push({ ...selection, selectionSet: { kind: Kind.SELECTION_SET, selections: [PLACEHOLDER_FIELD] } });
              continue;
            }
            kept.push(inner === selection.selectionSet ? selection : { ...selection, selectionSet: inner });
          } else {
            kept.push(selection);
          }
        } else {
          const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
          if (!fragment) continue;
          const conditionName = fragment.typeCondition?.name.value;
          const condition = conditionName ? this.schema.getType(conditionName) : parent;
          if (!condition || !isCompositeType(condition)) continue;
          const inner = filterSet(fragment.selectionSet, condition, path);
          // Fragments are inlined, so that each field occurrence has one path of its own.
          if (inner) {
            kept.push({
              kind: Kind.INLINE_FRAGMENT,
              typeCondition: fragment.typeCondition,
              directives: selection.directives,
              selectionSet: inner,
            });
          }
        }
      }
      return kept.length === 0 ? null : { ...selectionSet, selections: kept };
    };
    const selectionSet = filterSet(operation.selectionSet, rootType, []);
    if (removals.length === 0) return null;
    const filtered: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [{ ...operation, selectionSet: selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] } }],
    };
    return {
      document: filtered,
      queryHash: createHash('sha256').update(print(filtered)).digest('hex'),
      removals,
      placeholders,
      empty: selectionSet === null,
    };
  }

  /**
   * Puts the removed fields back into a response as null, propagating through non-null fields as GraphQL
   * execution would, and adds an error at the path of each refused field.
   */
  static complete(
    response: { data?: Record<string, unknown> | null; errors?: readonly GraphQLError[] },
    { removals, placeholders }: Pick<AuthorizedOperation, 'removals' | 'placeholders'>,
  ): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
    // Without data (every root field refused), the nulls go into a response object: a root alias `__proto__` is a key.
    let data: Record<string, unknown> | null = response.data === undefined ? new ResponseObject() : response.data;
    for (const path of placeholders) if (data) removePlaceholder(data, path, 0);
    for (const removal of removals) {
      if (data === null) break;
      const result = nullAt(data, removal.path, 0);
      if (result === BUBBLE || result === null) data = null;
    }
    const errors: GraphQLError[] = [...(response.errors ?? [])];
    for (const removal of removals) {
      errors.push(
        new GraphQLError(removal.error.message, {
          path: removal.path.map((segment) => segment.key),
          extensions: { code: removal.error.code },
        }),
      );
    }
    return { data, errors };
  }
}

const BUBBLE = Symbol('bubble');
const PLACEHOLDER_KEY = '__authorizationPlaceholder';
const PLACEHOLDER_FIELD: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY },
  name: { kind: Kind.NAME, value: '__typename' },
};

/** Deletes the placeholder from every object at `path` (through lists). */
function removePlaceholder(value: unknown, path: Segment[], index: number): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) removePlaceholder(item, path, index);
    return;
  }
  const object = value as Record<string, unknown>;
  if (index === path.length) {
    delete object[PLACEHOLDER_KEY];
    return;
  }
  removePlaceholder(ownValue(object, path[index].key), path, index + 1);
}

/** Sets `path[index..]` to null inside the object `value`; returns the object, null (it must be null), or BUBBLE. */
function nullAt(value: Record<string, unknown>, path: Segment[], index: number): Record<string, unknown> | null | typeof BUBBLE {
  const segment = path[index];
  if (index === path.length - 1) {
    value[segment.key] = null;
    return isNonNullType(segment.type) ? null : value;
  }
  // Only what the object holds itself: a key it lacks (a skipped field, a fragment that did not apply) is unset,
  // never a value inherited from a prototype that this would then write into.
  const child = placeNull(ownValue(value, segment.key), segment.type, path, index + 1);
  if (child === BUBBLE) return null;
  value[segment.key] = child;
  return value;
}

/** Applies the rest of the path to a value of `type`; BUBBLE means this position cannot hold the null it got. */
function placeNull(value: unknown, type: GraphQLOutputType, path: Segment[], index: number): unknown {
  if (isNonNullType(type)) {
    const inner = placeNull(value, type.ofType, path, index);
    return inner === null || inner === BUBBLE ? BUBBLE : inner;
  }
  if (value === null || value === undefined) return value ?? null;
  if (isListType(type)) {
    const list = value as unknown[];
    for (let i = 0; i < list.length; i++) {
      const item = placeNull(list[i], type.ofType, path, index);
      if (item === BUBBLE) return null;
      list[i] = item;
    }
    return list;
  }
  const result = nullAt(value as Record<string, unknown>, path, index);
  return result === BUBBLE ? null : result;
}

function fieldOf(parent: GraphQLCompositeType, node: FieldNode): GraphQLField<unknown, unknown> | undefined {
  if (isAbstractType(parent) && !isInterfaceType(parent)) return undefined;
  return (parent as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()[node.name.value];
}

function namesAnyField(document: DocumentNode, names: ReadonlySet<string>): boolean {
  const stack: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) stack.push(definition.selectionSet);
  }
  while (stack.length > 0) {
    for (const selection of (stack.pop() as SelectionSetNode).selections) {
      if (selection.kind === Kind.FIELD && names.has(selection.name.value)) return true;
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) stack.push(selection.selectionSet);
    }
  }
  return false;
}
