import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  parse,
  type SelectionSetNode,
} from 'graphql';
import { entityTag } from '../../shared';

/** A tag every cached root-field answer that holds an entity of `type` in a list, or without its keys, carries. */
export function listTag(type: string): string {
  return `${type}*`;
}

/**
 * A tag every cached root-field answer that holds an entity of `type` without its key field `field` carries: a change
 * declared by that key cannot name the entity through it, so any change of an entity of the type declared by `field`
 * drops the answer, in place or not.
 */
export function missingKeyTag(type: string, field: string): string {
  return `${type}!${field}`;
}

/** Whether `tag` is a missing-key tag (the router's own: a CDN purges by what subgraphs declare). */
export function isMissingKeyTag(tag: string): boolean {
  return /^[^.=]*!/.test(tag);
}

/**
 * What the entity cache needs of one supergraph version: the version (part of every key), the API schema (to read
 * root-field answers), the field names that are protected somewhere (`@authenticated`, `@requiresScopes`: a
 * selection naming one is never shared between callers) and each entity type's key fields.
 */
export class CachedSupergraph {
  readonly keyFields = new Map<string, Set<string>>();
  private readonly protectedQueries = new Map<string, boolean>();

  constructor(
    readonly version: string,
    readonly schema: GraphQLSchema,
    supergraph: DocumentNode,
    readonly protectedFieldNames: ReadonlySet<string>,
  ) {
    for (const definition of supergraph.definitions) {
      if (!('directives' in definition) || !('name' in definition) || !definition.name) continue;
      for (const directive of definition.directives ?? []) {
        if (directive.name.value !== 'join__type') continue;
        const key = directive.arguments?.find((argument) => argument.name.value === 'key')?.value;
        if (key?.kind !== Kind.STRING) continue;
        const fields = this.keyFields.get(definition.name.value) ?? new Set<string>();
        for (const selection of parse(`{${key.value}}`).definitions.flatMap((d) =>
          d.kind === Kind.OPERATION_DEFINITION ? d.selectionSet.selections : [],
        )) {
          if (selection.kind === Kind.FIELD) fields.add(selection.name.value);
        }
        this.keyFields.set(definition.name.value, fields);
      }
    }
  }

  /** Whether `query` names a protected field (by name, anywhere: a superset, never less). */
  namesProtectedField(query: string): boolean {
    if (this.protectedFieldNames.size === 0) return false;
    let named = this.protectedQueries.get(query);
    if (named === undefined) {
      named = (query.match(/[_A-Za-z][_0-9A-Za-z]*/g) ?? []).some((token) => this.protectedFieldNames.has(token));
      if (this.protectedQueries.size >= 5_000) this.protectedQueries.clear();
      this.protectedQueries.set(query, named);
    }
    return named;
  }

  /**
   * The tags of a root-field answer (`data` of a subgraph query `document`): for each entity in it, its type, and
   * `Type.field=value` for each key field it holds, or the list tag when it has none or sits in a list (a create or a
   * change of any entity of the type may change a list). A list field, and a field that answered null or an empty
   * list, carries the list tag of every entity type its selection can reach by the schema, values present or not
   * (an empty search, a page of which only `pageInfo` is selected: a created entity may change them). Null when the
   * answer cannot be read with the API schema (a field it does not know, an abstract type without `__typename`),
   * which is then not cached.
   */
  tagsOfAnswer(document: DocumentNode, data: Record<string, unknown>): Set<string> | null {
    const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const query = this.schema.getQueryType();
    if (operation?.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query' || !query) return null;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const tags = new Set<string>();
    const readable = this.walkObject(query, operation.selectionSet, data, false, fragments, tags);
    return readable ? tags : null;
  }

  private walkObject(
    type: GraphQLObjectType,
    selectionSet: SelectionSetNode,
    value: Record<string, unknown>,
    inList: boolean,
    fragments: Map<string, FragmentDefinitionNode>,
    tags: Set<string>,
  ): boolean {
    const keys = this.keyFields.get(type.name);
    if (keys) {
      tags.add(type.name);
      const known = [...keys].filter((field) => value[field] !== undefined && value[field] !== null && typeof value[field] !== 'object');
      for (const field of known) tags.add(entityTag(type.name, field, value[field]));
      for (const field of keys) if (!known.includes(field)) tags.add(missingKeyTag(type.name, field));
      if (known.length === 0 || inList) tags.add(listTag(type.name));
    }
    for (const field of fieldsOf(type, selectionSet, fragments, this.schema)) {
      if (field.name.value === '__typename') continue;
      const definition = type.getFields()[field.name.value];
      if (!definition) return false;
      const inner = value[field.alias?.value ?? field.name.value];
      if (!field.selectionSet) continue;
      // A list, or nothing (null, an empty list), holds no entity to name: whatever a write could put there is named
      // by the list tag of each entity type the selection can reach, whether values are present or not.
      if (isListType(getNullableType(definition.type)) || inner === null || inner === undefined || isEmptyList(inner)) {
        this.addListTagsOf(definition.type, field.selectionSet, fragments, tags);
      }
      if (!this.walkValue(definition.type, field.selectionSet, inner, inList, fragments, tags)) return false;
    }
    return true;
  }

  /** Adds the list tag of every entity type a value of `type` under `selectionSet` can be or hold (by the schema). */
  private addListTagsOf(
    type: GraphQLOutputType,
    selectionSet: SelectionSetNode,
    fragments: Map<string, FragmentDefinitionNode>,
    tags: Set<string>,
  ): void {
    // Finite: a query's selections form a tree (fragments cannot cycle in a valid document).
    const named = getNamedType(type);
    if (!isCompositeType(named)) return;
    const objects = isAbstractType(named) ? this.schema.getPossibleTypes(named) : [named];
    for (const object of objects) {
      if (this.keyFields.has(object.name)) tags.add(listTag(object.name));
      for (const field of fieldsOf(object, selectionSet, fragments, this.schema)) {
        const definition = object.getFields()[field.name.value];
        if (definition && field.selectionSet) this.addListTagsOf(definition.type, field.selectionSet, fragments, tags);
      }
    }
  }

  private walkValue(
    type: GraphQLOutputType,
    selectionSet: SelectionSetNode,
    value: unknown,
    inList: boolean,
    fragments: Map<string, FragmentDefinitionNode>,
    tags: Set<string>,
  ): boolean {
    if (value === null || value === undefined) return true;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      if (!Array.isArray(value)) return false;
      return value.every((item) => this.walkValue(nullable.ofType, selectionSet, item, true, fragments, tags));
    }
    const named = getNamedType(nullable);
    if (!isCompositeType(named) || typeof value !== 'object') return false;
    let object: GraphQLObjectType | undefined;
    if (isObjectType(named)) object = named;
    else if (isAbstractType(named)) {
      const typename = (value as { __typename?: unknown }).__typename;
      const candidate = typeof typename === 'string' ? this.schema.getType(typename) : undefined;
      object = candidate && isObjectType(candidate) ? candidate : undefined;
    }
    return object ? this.walkObject(object, selectionSet, value as Record<string, unknown>, inList, fragments, tags) : false;
  }
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

/** The fields of `selectionSet` that apply to an object of `type` (inline fragments and fragment spreads flattened). */
function fieldsOf(
  type: GraphQLObjectType,
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  schema: GraphQLSchema,
): FieldNode[] {
  const fields: FieldNode[] = [];
  const applies = (condition: string | undefined) => {
    if (!condition || condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return conditionType !== undefined && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (applies(selection.typeCondition?.name.value)) fields.push(...fieldsOf(type, selection.selectionSet, fragments, schema));
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && applies(fragment.typeCondition.name.value)) fields.push(...fieldsOf(type, fragment.selectionSet, fragments, schema));
    }
  }
  return fields;
}
