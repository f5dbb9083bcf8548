import {
  type GraphQLInputType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type OperationDefinitionNode,
  typeFromAST,
} from 'graphql';

/** Values each built-in scalar accepts; a custom scalar gets the first of these its `parseValue` accepts. */
const SCALAR_PLACEHOLDERS: Record<string, unknown> = { Int: 0, Float: 0, String: '', Boolean: false, ID: '0' };
const CANDIDATES: unknown[] = ['', 0, false, {}];

/** No placeholder fits this type (a custom scalar that accepts none of the candidates). */
const NONE = Symbol('none');

function placeholderFor(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return placeholderFor(type.ofType);
  // An empty list satisfies any list type, of nullable or non-null items.
  if (isListType(type)) return [];
  if (isEnumType(type)) return type.getValues()[0]?.name ?? NONE;
  if (isScalarType(type)) {
    if (type.name in SCALAR_PLACEHOLDERS) return SCALAR_PLACEHOLDERS[type.name];
    for (const candidate of CANDIDATES) {
      try {
        if (type.parseValue(candidate) !== undefined) return candidate;
      } catch {
        // not this one
      }
    }
    return NONE;
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    // @oneOf: exactly one field, the first one that can be filled.
    if ((type as { isOneOf?: boolean }).isOneOf) {
      for (const field of fields) {
        const value = placeholderFor(field.type);
        if (value !== NONE) return { [field.name]: value };
      }
      return NONE;
    }
    const value: Record<string, unknown> = {};
    for (const field of fields) {
      if (!isNonNullType(field.type) || field.defaultValue !== undefined) continue;
      const fieldValue = placeholderFor(field.type);
      if (fieldValue === NONE) return NONE;
      value[field.name] = fieldValue;
    }
    return value;
  }
  return NONE;
}

/**
 * Variables that pass the coercion of `operation`'s variable definitions, for planning it without a client:
 * each required variable (non-null, no default) gets the simplest value of its type (0, '', false, '0' for an
 * ID, an enum's first value, an empty list, an input object with its required fields filled the same way);
 * optional ones are left out. Null when some required variable's type accepts none of them (a custom scalar
 * that refuses '', 0, false and {}). A query plan does not depend on variable values (`@skip`/`@include` on a
 * variable become condition nodes of the plan), so any value that coerces plans the same plan.
 */
export function placeholderVariables(schema: GraphQLSchema, operation: OperationDefinitionNode): Record<string, unknown> | null {
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.type.kind !== 'NonNullType' || definition.defaultValue) continue;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (!type) return null;
    const value = placeholderFor(type);
    if (value === NONE) return null;
    variables[definition.variable.name.value] = value;
  }
  return variables;
}
