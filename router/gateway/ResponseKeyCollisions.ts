import { createHash } from 'node:crypto';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  type SelectionSetNode,
  type TypeNode,
  visit,
} from 'graphql';
import { ResponseObject } from '../../shared';
import { linkedFeatures } from '../supergraph/prepareSupergraph';

/**
 * The prefix of the aliases the router gives client selections whose response key the query planner also
 * uses; clients may not use it themselves (`OPERATION_NOT_SUPPORTED`).
 */
export const RESERVED_ALIAS_PREFIX = '__router_alias_';

/** A field of the supergraph: the named type it returns and whether it takes arguments. */
interface FieldInfo {
  type: string;
  hasArguments: boolean;
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

/** An operation as the planner gets it after the rename, with the hash its plan is cached under. */
export interface RenamedOperation {
  document: DocumentNode;
  queryHash: string;
}

/**
 * Client selections whose response key collides with one the query planner adds, and the renames that
 * make the collision impossible. Stock `@apollo/gateway` merges such selections silently (the corpus shows
 * it, see docs/any-supergraph.md):
 *
 * - an alias that is the name of another field of the type (`id: name`, `weight: name`) or `__typename`: the
 *   planner adds key fields, `@requires` fields and `__typename` under their own names, and either the
 *   client gets the planner's value (the entity's real `id`) or the planner gets the client's (a required
 *   `weight` that is a name), or the object comes back null without an error;
 * - a field with arguments that a `@requires` of the same type selects with other arguments
 *   (`comments(limit: 1)` beside `@requires(fields: "comments(limit: 3) …")`): one selection serves both.
 *
 * Each such selection gets an alias under `RESERVED_ALIAS_PREFIX`, so that the planner sees two response
 * keys; `restore` gives the response its client keys back. Renaming a selection cannot change what it
 * returns; only the response key differs, and it is restored before anyone reads it. So the rules err on
 * the side of renaming: a field some `@requires` of its type selects with arguments is renamed whether or
 * not the requiring field is in the operation.
 */
export class ResponseKeyCollisions {
  /** `Type` → field → what it returns, for every object and interface type of the supergraph (inaccessible ones too). */
  private readonly fields = new Map<string, Map<string, FieldInfo>>();
  /** `Type` → names of fields with arguments that some `@requires` of that type selects. */
  private readonly requiredWithArguments = new Map<string, Set<string>>();
  private readonly namesCache = new Map<string, Set<string>>();
  private readonly renamed = new Map<string, RenamedOperation | null>();

  constructor(
    supergraph: DocumentNode,
    private readonly schema: GraphQLSchema,
    private readonly cacheSize = 1000,
  ) {
    const join = linkedFeatures(supergraph).find((feature) => feature.identity === 'https://specs.apollo.dev/join');
    const joinField = `${join?.directiveName ?? 'join'}__field`;
    const requires: { type: string; fields: string }[] = [];
    for (const definition of supergraph.definitions) {
      if (
        definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
        definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
        definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
        definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
      ) {
        continue;
      }
      const typeName = definition.name.value;
      const fields = this.fields.get(typeName) ?? new Map<string, FieldInfo>();
      this.fields.set(typeName, fields);
      for (const field of definition.fields ?? []) {
        fields.set(field.name.value, { type: namedType(field.type), hasArguments: (field.arguments?.length ?? 0) > 0 });
        for (const directive of field.directives ?? []) {
          if (directive.name.value !== joinField) continue;
          const value = directive.arguments?.find((argument) => argument.name.value === 'requires')?.value;
          if (value?.kind === Kind.STRING) requires.push({ type: typeName, fields: value.value });
        }
      }
    }
    for (const { type, fields } of requires) this.collectRequiredWithArguments(type, parse(`{ ${fields} }`));
  }

  /** Walks a `@requires` field set from `type`, noting each field with arguments under the type it belongs to. */
  private collectRequiredWithArguments(type: string, fieldSet: DocumentNode): void {
    const walk = (selectionSet: SelectionSetNode, parent: string) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          walk(selection.selectionSet, selection.typeCondition?.name.value ?? parent);
          continue;
        }
        if (selection.kind !== Kind.FIELD) continue;
        const field = this.fields.get(parent)?.get(selection.name.value);
        if (!field) continue;
        if (field.hasArguments) {
          const names = this.requiredWithArguments.get(parent) ?? new Set<string>();
          names.add(selection.name.value);
          this.requiredWithArguments.set(parent, names);
        }
        if (selection.selectionSet) walk(selection.selectionSet, field.type);
      }
    };
    const operation = fieldSet.definitions[0];
    if (operation?.kind === Kind.OPERATION_DEFINITION) walk(operation.selectionSet, type);
  }

  /** Field names of `type` and of every type it may be at runtime: what the planner may select there. */
  private namesAt(type: string): Set<string> {
    let names = this.namesCache.get(type);
    if (names) return names;
    names = new Set(['__typename', ...(this.fields.get(type)?.keys() ?? [])]);
    const schemaType = this.schema.getType(type);
    if (schemaType && isAbstractType(schemaType)) {
      for (const possible of this.schema.getPossibleTypes(schemaType)) {
        for (const name of this.fields.get(possible.name)?.keys() ?? []) names.add(name);
      }
    }
    this.namesCache.set(type, names);
    return names;
  }

  /** Fields of `type` (or, for an abstract type, of its possible types) that a `@requires` selects with arguments. */
  private requiredAt(type: string): (name: string) => boolean {
    const schemaType = this.schema.getType(type);
    const types =
      schemaType && isAbstractType(schemaType) ? [type, ...this.schema.getPossibleTypes(schemaType).map((t) => t.name)] : [type];
    return (name) => types.some((candidate) => this.requiredWithArguments.get(candidate)?.has(name));
  }

  /**
   * The document with its colliding selections renamed, or null when nothing collides (the common case:
   * then the document and its cached plan are used as they are). Cached per document hash.
   */
  rename(document: DocumentNode, queryHash: string): RenamedOperation | null {
    const cached = this.renamed.get(queryHash);
    if (cached !== undefined) return cached;
    const renames = new Map<FieldNode, string>();
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
    );
    const visited = new Set<string>();
    const walk = (selectionSet: SelectionSetNode, parent: string) => {
      const names = this.namesAt(parent);
      const required = this.requiredAt(parent);
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          walk(selection.selectionSet, selection.typeCondition?.name.value ?? parent);
          continue;
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const fragment = fragments.get(selection.name.value);
          if (fragment && !visited.has(fragment.name.value)) {
            visited.add(fragment.name.value);
            walk(fragment.selectionSet, fragment.typeCondition.name.value);
          }
          continue;
        }
        const name = selection.name.value;
        const alias = selection.alias?.value;
        if (alias !== undefined && alias !== name && names.has(alias)) renames.set(selection, `${RESERVED_ALIAS_PREFIX}${alias}`);
        else if (alias === undefined && required(name)) renames.set(selection, `${RESERVED_ALIAS_PREFIX}${name}`);
        if (!selection.selectionSet) continue;
        const parentType = this.schema.getType(parent);
        const field = parentType && (isObjectType(parentType) || isInterfaceType(parentType)) ? parentType.getFields()[name] : undefined;
        if (field) walk(selection.selectionSet, getNamedType(field.type).name);
      }
    };
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const root = this.schema.getRootType(definition.operation);
      if (root) walk(definition.selectionSet, root.name);
    }
    const result =
      renames.size === 0
        ? null
        : {
            document: visit(document, {
              Field(node) {
                const alias = renames.get(node);
                return alias ? { ...node, alias: { kind: Kind.NAME, value: alias } } : undefined;
              },
            }),
            queryHash: createHash('sha256').update(`${queryHash}\u0000renamed`).digest('hex'),
          };
    if (this.renamed.size >= this.cacheSize) this.renamed.delete(this.renamed.keys().next().value as string);
    this.renamed.set(queryHash, result);
    return result;
  }

  /** Gives a response of a renamed operation its client keys back: in data (in place, order kept) and in error paths. */
  static restore<T extends { data?: unknown; errors?: readonly unknown[] }>(response: T): T {
    const restored: T = { ...response };
    if (response.data !== undefined) restored.data = restoreKeys(response.data);
    if (response.errors) {
      restored.errors = response.errors.map((error) => {
        const path = (error as { path?: readonly (string | number)[] }).path;
        if (!path?.some((segment) => typeof segment === 'string' && segment.startsWith(RESERVED_ALIAS_PREFIX))) return error;
        const restoredPath = path.map((segment) =>
          typeof segment === 'string' && segment.startsWith(RESERVED_ALIAS_PREFIX) ? segment.slice(RESERVED_ALIAS_PREFIX.length) : segment,
        );
        if (!(error instanceof GraphQLError)) return { ...(error as object), path: restoredPath };
        return new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: restoredPath,
          originalError: error.originalError,
          extensions: error.extensions,
        });
      });
    }
    return restored;
  }
}

function restoreKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(restoreKeys);
  if (value === null || typeof value !== 'object') return value;
  const restored = new ResponseObject();
  for (const [key, inner] of Object.entries(value)) {
    restored[key.startsWith(RESERVED_ALIAS_PREFIX) ? key.slice(RESERVED_ALIAS_PREFIX.length) : key] = restoreKeys(inner);
  }
  return restored;
}
