import * as federation from '@apollo/federation-internals';
import { ResponseObject } from '../../../shared';

/**
 * A faster `computeResponse` for `@apollo/gateway`: the last step of every request, which copies the
 * subgraphs' merged data into the shape of the client's operation (aliases, `@skip`/`@include`, type
 * conditions, `__typename`), checks every leaf and propagates nulls.
 *
 * Profiles of the "my orders" bench (20 orders, 82 lines, 41 KB) put the gateway's own version at 18 % of
 * the router's busy CPU: for every value of every list item it re-reads the selection's directives through
 * the schema, allocates argument and result objects, and reaches each `@apollo/federation-internals` helper
 * through a re-export getter. This version works out what each selection needs once per selection set (not
 * once per list item) and allocates nothing but the output.
 *
 * It takes the fast path only while the data is well formed. The moment anything would produce an error or
 * an assertion (a null in a non-null position, an invalid leaf or `__typename`, a list that is not one), it
 * gives up and the gateway's own implementation computes the whole response again, so errors, their
 * messages and paths are exactly the gateway's. Both read the input without changing it.
 */

const { isCompositeType, isCustomScalarType, isEnumType, isListType, isNonNullType, isObjectType, isSubtype, typenameFieldName, Variable } =
  federation;

type Shaping = typeof import('@apollo/gateway/dist/resultShaping');
type ComputeResponse = Shaping['computeResponse'];
type ComputeArguments = Parameters<ComputeResponse>[0];
type Operation = ComputeArguments['operation'];
type SelectionSet = Operation['selectionSet'];
type Selection = ReturnType<SelectionSet['selections']>[number];
type Schema = ReturnType<Operation['schema']>;
type OutputType = federation.OutputType;
type CompositeType = federation.CompositeType;
type Variables = Record<string, unknown>;
type Row = Record<string, unknown>;

/** Thrown inside the fast path when the gateway's own implementation must take over. */
class NotFastPath extends Error {}
const NOT_FAST_PATH = new NotFastPath('fall back to the gateway');

/** A `@skip`/`@include` condition: a literal, or a variable read per request. */
type Condition = { variable: string } | { literal: boolean } | null;

interface FieldStep {
  kind: 'field';
  selection: Selection;
  skip: Condition;
  include: Condition;
  responseName: string;
  isTypename: boolean;
  isIntrospection: boolean;
  type: OutputType;
  /** The field's sub-selection, or null for a leaf. */
  selectionSet: SelectionSet | null;
}

interface FragmentStep {
  kind: 'fragment';
  skip: Condition;
  include: Condition;
  typeCondition: CompositeType | undefined;
  selectionSet: SelectionSet;
  /** Whether the condition applies, by runtime `__typename` ('' when the object has none). */
  applies: Map<string, boolean>;
}

type Step = FieldStep | FragmentStep;

interface Run {
  schema: Schema;
  variables: Variables;
  introspection: ComputeArguments['introspectionHandling'];
}

/** Per selection set (the operation is rebuilt for each request, so this lives as long as one request's operation). */
const compiled = new WeakMap<SelectionSet, Step[]>();

function conditionOf(directive: federation.Directive<any, { if: unknown }> | undefined): Condition {
  if (!directive) return null;
  const value = directive.arguments().if;
  if (value instanceof Variable) return { variable: value.name };
  if (typeof value === 'boolean') return { literal: value };
  throw NOT_FAST_PATH;
}

function stepsOf(selectionSet: SelectionSet, schema: Schema): Step[] {
  let steps = compiled.get(selectionSet);
  if (steps) return steps;
  const skipDirective = schema.skipDirective();
  const includeDirective = schema.includeDirective();
  steps = selectionSet.selections().map((selection): Step => {
    const element = selection.element as federation.Field | federation.FragmentElement;
    const skip = conditionOf(element.appliedDirectivesOf(skipDirective)[0]);
    const include = conditionOf(element.appliedDirectivesOf(includeDirective)[0]);
    if (selection.kind === 'FieldSelection') {
      const field = element as federation.Field;
      return {
        kind: 'field',
        selection,
        skip,
        include,
        responseName: field.responseName(),
        isTypename: field.name === typenameFieldName,
        isIntrospection: field.definition.isSchemaIntrospectionField(),
        type: field.definition.type as OutputType,
        selectionSet: selection.selectionSet ?? null,
      };
    }
    const fragment = element as federation.FragmentElement;
    const fragmentSelections = selection.selectionSet;
    if (!fragmentSelections) throw NOT_FAST_PATH;
    return { kind: 'fragment', skip, include, typeCondition: fragment.typeCondition, selectionSet: fragmentSelections, applies: new Map() };
  });
  compiled.set(selectionSet, steps);
  return steps;
}

function holds(condition: Condition, variables: Variables): boolean | null {
  if (condition === null) return null;
  if ('literal' in condition) return condition.literal;
  const value = variables[condition.variable];
  if (typeof value !== 'boolean') throw NOT_FAST_PATH;
  return value;
}

function skipped(step: Step, variables: Variables): boolean {
  return holds(step.skip, variables) === true || holds(step.include, variables) === false;
}

const hasOwn = Object.prototype.hasOwnProperty;

function applySelectionSet(run: Run, input: Row, selectionSet: SelectionSet, output: Row, parentType: CompositeType): void {
  const steps = stepsOf(selectionSet, run.schema);
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if ((step.skip !== null || step.include !== null) && skipped(step, run.variables)) continue;
    if (step.kind === 'field') {
      const name = step.responseName;
      const outputValue = output[name];
      if (step.isIntrospection) {
        if (outputValue === undefined) output[name] = run.introspection(step.selection as never);
        continue;
      }
      let inputValue = hasOwn.call(input, name) ? (input[name] ?? null) : null;
      if (step.isTypename) {
        if (outputValue === undefined) {
          if (inputValue === null && name !== typenameFieldName) inputValue = input[typenameFieldName] ?? null;
          const type = typeof inputValue === 'string' ? (run.schema.type(inputValue) ?? parentType) : parentType;
          if (!isObjectType(type)) throw NOT_FAST_PATH;
          output[name] = type.name;
        }
        continue;
      }
      output[name] = completeValue(run, outputValue, step.type, inputValue, step.selectionSet);
    } else {
      const typename = input[typenameFieldName];
      if (typename !== undefined && typename !== null && typename !== '' && typeof typename !== 'string') throw NOT_FAST_PATH;
      if (typeConditionApplies(run, step, typename || '', parentType)) {
        applySelectionSet(run, input, step.selectionSet, output, step.typeCondition ?? parentType);
      }
    }
  }
}

function typeConditionApplies(run: Run, step: FragmentStep, typename: string, parentType: CompositeType): boolean {
  const condition = step.typeCondition;
  if (!condition) return true;
  // Keyed by typename only when the object names its type: without one the answer depends on the parent type.
  if (!typename) return isSubtype(condition, parentType);
  let applies = step.applies.get(typename);
  if (applies === undefined) {
    const type = run.schema.type(typename);
    // Only the schema's own type names are remembered: a reused operation must not grow with made-up ones.
    if (!type) return false;
    applies = isSubtype(condition, type as OutputType);
    step.applies.set(typename, applies);
  }
  return applies;
}

/** The completed value, or NOT_FAST_PATH thrown wherever the gateway would report an error or fail an assertion. */
function completeValue(run: Run, outputValue: unknown, type: OutputType, inputValue: unknown, selectionSet: SelectionSet | null): unknown {
  // The gateway asserts this (a hole in a list; JSON never has one).
  if (inputValue === undefined) throw NOT_FAST_PATH;
  if (outputValue === null || (outputValue !== undefined && !selectionSet)) return outputValue;
  if (isNonNullType(type)) {
    const completed = completeValue(run, outputValue, type.ofType as OutputType, inputValue, selectionSet);
    if (completed === null) throw NOT_FAST_PATH;
    return completed;
  }
  if (inputValue === null) return null;
  if (isListType(type)) {
    if (!Array.isArray(inputValue)) throw NOT_FAST_PATH;
    if (outputValue !== undefined && (!Array.isArray(outputValue) || outputValue.length !== inputValue.length)) throw NOT_FAST_PATH;
    const itemType = type.ofType as OutputType;
    const completed = new Array(inputValue.length);
    for (let i = 0; i < inputValue.length; i++) {
      completed[i] = completeValue(
        run,
        outputValue === undefined ? undefined : (outputValue as unknown[])[i],
        itemType,
        inputValue[i],
        selectionSet,
      );
    }
    return completed;
  }
  if (isCompositeType(type)) {
    if (!selectionSet || typeof inputValue !== 'object') throw NOT_FAST_PATH;
    if (outputValue !== undefined && typeof outputValue !== 'object') throw NOT_FAST_PATH;
    const typename = (inputValue as Row)[typenameFieldName];
    let objectType: CompositeType = type;
    if (typename !== undefined) {
      if (typeof typename !== 'string') throw NOT_FAST_PATH;
      if (typename) {
        const named = run.schema.type(typename);
        if (!named || !isCompositeType(named)) throw NOT_FAST_PATH;
        objectType = named;
      }
    }
    // Not the gateway's Object.create(null), which V8 keeps as a dictionary: see ResponseObject.
    const output = (outputValue ?? new ResponseObject()) as Row;
    applySelectionSet(run, inputValue as Row, selectionSet, output, objectType);
    return output;
  }
  if (outputValue !== undefined || !isValidLeaf(run.schema, inputValue, type)) throw NOT_FAST_PATH;
  return inputValue;
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/** `isValidLeafValue` of `@apollo/federation-internals`, without its schema lookups per call. */
function isValidLeaf(schema: Schema, value: unknown, type: OutputType): boolean {
  if (isCustomScalarType(type)) return true;
  const name = (type as { name?: string }).name;
  if (typeof value === 'string') {
    if (isEnumType(type)) return type.value(value) !== undefined;
    return name !== 'Boolean' && name !== 'Int' && name !== 'Float';
  }
  if (typeof value === 'boolean') return type === schema.booleanType();
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (name === 'Int' || name === 'ID') return (type === schema.intType() || type === schema.idType()) && INTEGER.test(String(value));
    return type === schema.floatType();
  }
  return false;
}

/**
 * `computeResponse` with the fast path first and the gateway's `original` as the exact fallback.
 * Exported for the tests that compare the two.
 */
export function fastComputeResponse(original: ComputeResponse): ComputeResponse {
  return (args) => {
    const { operation, variables, input, introspectionHandling } = args;
    if (!input) return original(args);
    try {
      const schema = operation.schema();
      const run: Run = {
        schema,
        variables: { __proto__: null, ...operation.collectDefaultedVariableValues(), ...variables } as Variables,
        introspection: introspectionHandling,
      };
      const data = new ResponseObject();
      const root = schema.schemaDefinition.rootType(operation.rootKind);
      if (!root) throw NOT_FAST_PATH;
      applySelectionSet(run, input, operation.selectionSet, data, root);
      return { data, errors: [] };
    } catch (error) {
      if (error !== NOT_FAST_PATH) throw error;
      return original(args);
    }
  };
}
