import {
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  typeFromAST,
  type ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/** `operation` and the fragments it spreads, directly or through other fragments: what a request runs. */
function runDocument(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const reached = new Map<string, FragmentDefinitionNode>();
  const spreadsOf = (node: ASTNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !reached.has(fragment.name.value)) {
          reached.set(fragment.name.value, fragment);
          spreadsOf(fragment);
        }
      },
    });
  spreadsOf(operation);
  return { kind: Kind.DOCUMENT, definitions: [operation, ...reached.values()] };
}

/** Adds to `into` the `Enum.VALUE` and `Input.field` coordinates a literal of `type` in a document uses. */
function literalCoordinatesOf(value: ValueNode, type: GraphQLInputType | null | undefined, into: Set<string>): void {
  const named = type ? getNamedType(type) : null;
  if (value.kind === Kind.ENUM && named && isEnumType(named)) into.add(`${named.name}.${value.value}`);
  if (value.kind === Kind.LIST) for (const item of value.values) literalCoordinatesOf(item, named as GraphQLInputType, into);
  if (value.kind === Kind.OBJECT && named && isInputObjectType(named)) {
    const fields = named.getFields();
    for (const field of value.fields) {
      into.add(`${named.name}.${field.name.value}`);
      literalCoordinatesOf(field.value, fields[field.name.value]?.type, into);
    }
  }
}

/**
 * The schema coordinates an operation uses: `Type.field` for every field, `Type.field(arg:)` for every
 * argument given, `Enum.VALUE` and `Input.field` for literals in arguments; of `operation` and its fragments
 * when given, else of the whole document. Values passed in variables (or taken from a variable's default
 * when the request leaves it out) are not counted here: `inputVariablesOf` and `inputCoordinatesOf` add those
 * per request.
 */
export function coordinatesOf(schema: GraphQLSchema, whole: DocumentNode, operation?: OperationDefinitionNode): Set<string> {
  const document = operation ? runDocument(whole, operation) : whole;
  const coordinates = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || node.name.value.startsWith('__')) return;
        const coordinate = `${parent.name}.${node.name.value}`;
        coordinates.add(coordinate);
        const definition = typeInfo.getFieldDef();
        for (const argument of node.arguments ?? []) {
          coordinates.add(`${coordinate}(${argument.name.value}:)`);
          literalCoordinatesOf(argument.value, definition?.args.find((arg) => arg.name === argument.name.value)?.type, coordinates);
        }
      },
    }),
  );
  return coordinates;
}

/**
 * How to read a variable's value, worked out once per document: for an input object, each field's coordinate
 * and how to read its value; for an enum, each value's coordinate; a list, how to read its items. Scalars
 * use nothing and have no plan.
 */
export type InputPlan =
  | { kind: 'list'; of: InputPlan }
  | { kind: 'enum'; coordinates: ReadonlyMap<string, string> }
  | { kind: 'object'; fields: ReadonlyMap<string, { coordinate: string; plan: InputPlan | null }> };

function planOf(type: GraphQLInputType, plans: Map<string, InputPlan>): InputPlan | null {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    const of = planOf(inner.ofType, plans);
    return of ? { kind: 'list', of } : null;
  }
  if (isEnumType(inner)) {
    let plan = plans.get(inner.name);
    if (!plan) {
      plan = { kind: 'enum', coordinates: new Map(inner.getValues().map((value) => [value.name, `${inner.name}.${value.name}`])) };
      plans.set(inner.name, plan);
    }
    return plan;
  }
  if (!isInputObjectType(inner)) return null;
  const known = plans.get(inner.name);
  if (known) return known; // also ends a recursive input type
  const fields = new Map<string, { coordinate: string; plan: InputPlan | null }>();
  const plan: InputPlan = { kind: 'object', fields };
  plans.set(inner.name, plan);
  for (const field of Object.values(inner.getFields()))
    fields.set(field.name, { coordinate: `${inner.name}.${field.name}`, plan: planOf(field.type, plans) });
  return plan;
}

/** A variable whose value can name input fields or enum values, and how to read it. */
export interface InputVariable {
  name: string;
  plan: InputPlan;
  /**
   * What the variable's default value in the operation (`$status: Status = CANCELLED`) uses: a request that
   * leaves the variable out runs with it. Empty without a default.
   */
  defaultCoordinates: readonly string[];
}

/**
 * The variables of `operation` whose type holds an input object or an enum: the only values that use
 * coordinates the document does not show (a request's value, or when the request leaves it out, the
 * variable's default). Empty for most operations, which then need no work per request.
 */
export function inputVariablesOf(schema: GraphQLSchema, operation: OperationDefinitionNode): InputVariable[] {
  const plans = new Map<string, InputPlan>();
  const variables: InputVariable[] = [];
  for (const variable of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, variable.type) as GraphQLInputType | undefined;
    const plan = type ? planOf(type, plans) : null;
    if (!plan) continue;
    const defaultCoordinates = new Set<string>();
    if (variable.defaultValue) literalCoordinatesOf(variable.defaultValue, type, defaultCoordinates);
    variables.push({ name: variable.variable.name.value, plan, defaultCoordinates: [...defaultCoordinates] });
  }
  return variables;
}

/** Deeper input values are not walked (no schema nests input objects this deep; graphql-js would reject far deeper). */
const MAX_INPUT_DEPTH = 32;

/**
 * Adds to `into` the coordinates a variable's JSON value uses, read by its plan: `Input.field` for every
 * field given (of the type's own fields: anything else is refused by validation and used nothing) and
 * `Enum.VALUE` for every enum value the type has. The value is the request's own, not yet coerced.
 */
export function inputCoordinatesOf(value: unknown, plan: InputPlan, into: Set<string>, depth = 0): void {
  if (value === null || value === undefined || depth > MAX_INPUT_DEPTH) return;
  if (plan.kind === 'list') {
    // A single value where a list is expected is coerced to a list of one.
    if (Array.isArray(value)) for (const item of value) inputCoordinatesOf(item, plan.of, into, depth + 1);
    else inputCoordinatesOf(value, plan.of, into, depth + 1);
  } else if (plan.kind === 'enum') {
    const coordinate = typeof value === 'string' ? plan.coordinates.get(value) : undefined;
    if (coordinate) into.add(coordinate);
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    for (const key in value) {
      const field = plan.fields.get(key);
      if (!field) continue;
      into.add(field.coordinate);
      if (field.plan) inputCoordinatesOf((value as Record<string, unknown>)[key], field.plan, into, depth + 1);
    }
  }
}
