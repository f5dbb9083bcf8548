import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLError,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { getComplexity } from 'graphql-query-complexity';
import { ownValue } from '../../shared';
import type { CostModel } from './CostModel';

/** What the router learns about an operation before any subgraph is called. */
export interface OperationAnalysis {
  /** Estimated cost per the IBM GraphQL cost specification, as Apollo Router's demand control applies it. */
  cost: number;
  /** Deepest field nesting (a root field is depth 1). */
  depth: number;
  /** Fields selected under an alias. */
  aliases: number;
  /** Fields selected at the root (fragments expanded). */
  rootFields: number;
  /** The first `first` (slicing argument) above its field's `@maxPageSize`, if any. */
  pageSizeViolation: { coordinate: string; path: string[]; requested: number; maximum: number } | null;
  /** A field with `requireOneSlicingArgument` given none or several slicing arguments. */
  slicingViolation: { coordinate: string; path: string[]; given: number } | null;
  /** Names of the variables whose values can change this analysis (cache key material). */
  relevantVariables: string[];
  /** List fields whose size nothing gave (no slicing argument, no `assumedSize`): priced at the default size. */
  assumedLists: string[];
}

export interface EstimatorOptions {
  /** List size for a list field without `@listSize` and slicing argument. Default 10. */
  defaultListSize: number;
  /** Most selections analysed before an operation is refused as too expensive. Default 10,000. */
  maxNodes?: number;
}

/** Too many selections (a fragment explosion): treated as too expensive to analyse, let alone run. */
export class TooManyNodes extends Error {}

/** A field occurrence's share of the actual cost that does not depend on the items it returned. */
interface CostFieldStep {
  kind: 'field';
  /** `@skip`/`@include` and any other directives of the selection, checked per request; null without any. */
  directives: readonly DirectiveNode[] | null;
  key: string;
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  coordinate: string;
  /** The cost of its arguments, or null when they use variables (worked out per request). */
  argumentsCost: number | null;
  weight: number;
  named: GraphQLCompositeType | null;
  selectionSet: SelectionSetNode | null;
}

/** A fragment (inline or spread) of a selection set, with its type condition resolved. */
interface CostFragmentStep {
  kind: 'fragment';
  directives: readonly DirectiveNode[] | null;
  /** The spread fragment's name (cycles are cut on it); null for an inline fragment. */
  spread: string | null;
  condition: GraphQLCompositeType;
  objectTypeName: string | null;
  selectionSet: SelectionSetNode;
}

type CostStep = CostFieldStep | CostFragmentStep;

/** Variables that do not fit their declared types: a request error, found before anything is estimated. */
export class InvalidVariables extends Error {
  constructor(readonly errors: readonly GraphQLError[]) {
    super(errors[0]?.message ?? 'Invalid variables');
  }
}

const MUTATION_BASE_COST = 10;

/**
 * Estimates operations against a cost model. The per-field arithmetic runs as a `graphql-query-complexity`
 * estimator (fragments, inline fragments on abstract types with the most expensive possible type, `@skip`
 * and `@include`, variables and default arguments are the library's). Two parts of the specification do not
 * fit its estimator interface and are computed alongside in one walk of the operation: the list size a
 * connection's slicing argument gives its `sizedFields` (the estimator of `edges` cannot see the parent's
 * `first`), and the depth, alias, root-field and page-size checks.
 */
export class CostEstimator {
  constructor(
    private readonly model: CostModel,
    private readonly schema: GraphQLSchema,
    private readonly options: EstimatorOptions,
  ) {}

  /** Actual-cost steps per parsed document (see actualCostSteps). */
  private readonly actualSteps = new WeakMap<DocumentNode, Map<SelectionSetNode, Map<string, CostStep[]>>>();

  analyze(document: DocumentNode, operationName: string | null | undefined, rawVariables: Record<string, unknown>): OperationAnalysis {
    const operation = selectOperation(document, operationName);
    // Coerced as execution would (defaults applied), so that `first: $n` is estimated with the number it will be.
    const coerced = operation ? getVariableValues(this.schema, operation.variableDefinitions ?? [], rawVariables) : { coerced: {} };
    if ('errors' in coerced && coerced.errors) throw new InvalidVariables(coerced.errors);
    const variables = ('coerced' in coerced ? coerced.coerced : {}) as Record<string, unknown>;
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
    );
    const rootType = operation && this.schema.getRootType(operation.operation);
    const result: OperationAnalysis = {
      cost: 0,
      depth: 0,
      aliases: 0,
      rootFields: 0,
      pageSizeViolation: null,
      slicingViolation: null,
      relevantVariables: [],
      assumedLists: [],
    };
    if (!operation || !rootType) return result;
    const sizedMultipliers = new Map<FieldNode, number>();
    const relevant = new Set<string>();
    const assumed = new Set<string>();
    let nodes = 0;
    const maxNodes = this.options.maxNodes ?? 10_000;

    const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, path: string[], active: Set<string>): void => {
      for (const selection of selectionSet.selections) {
        if (++nodes > maxNodes) throw new TooManyNodes();
        for (const directive of selection.directives ?? []) {
          if (directive.name.value === 'skip' || directive.name.value === 'include')
            collectVariables(directive.arguments?.[0]?.value, relevant);
        }
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
          if (condition && isCompositeType(condition)) walk(selection.selectionSet, condition, path, active);
          continue;
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const fragment = fragments.get(selection.name.value);
          const condition = fragment && this.schema.getType(fragment.typeCondition.name.value);
          if (!fragment || !condition || !isCompositeType(condition) || active.has(fragment.name.value)) continue;
          active.add(fragment.name.value);
          walk(fragment.selectionSet, condition, path, active);
          active.delete(fragment.name.value);
          continue;
        }
        const key = selection.alias?.value ?? selection.name.value;
        const here = [...path, key];
        result.depth = Math.max(result.depth, here.length);
        if (selection.alias) result.aliases += 1;
        if (path.length === 0) result.rootFields += 1;
        const field = fieldOf(parent, selection.name.value);
        if (!field) continue;
        const coordinate = `${parent.name}.${field.name}`;
        const args = argumentValues(field, selection, variables);
        this.collectRelevantVariables(field, coordinate, selection, relevant);
        const listSize = this.model.listSizes.get(coordinate);
        if (listSize && listSize.slicingArguments.length > 0) {
          const given = listSize.slicingArguments.filter((name) => typeof args[name] === 'number');
          if (listSize.requireOneSlicingArgument && given.length !== 1 && !result.slicingViolation) {
            result.slicingViolation = { coordinate, path: here, given: given.length };
          }
          const maximum = this.model.maxPageSizes.get(coordinate);
          for (const name of given) {
            const requested = args[name] as number;
            if (maximum !== undefined && requested > maximum && !result.pageSizeViolation) {
              result.pageSizeViolation = { coordinate, path: here, requested, maximum };
            }
          }
          if (listSize.sizedFields.length > 0 && selection.selectionSet) {
            if (given.length === 0 && listSize.assumedSize === null) assumed.add(coordinate);
            const size =
              given.length > 0
                ? Math.max(...given.map((name) => args[name] as number))
                : (listSize.assumedSize ?? this.options.defaultListSize);
            for (const child of childFields(selection.selectionSet, fragments, listSize.sizedFields)) {
              // A fragment shared by two connections gets the larger size: an upper bound, never an underestimate.
              sizedMultipliers.set(child, Math.max(sizedMultipliers.get(child) ?? 0, size));
            }
          }
        }
        const named = getNamedType(field.type);
        if (selection.selectionSet && isCompositeType(named)) walk(selection.selectionSet, named, here, active);
      }
    };
    walk(operation.selectionSet, rootType, [], new Set());

    const base = operation.operation === 'mutation' ? MUTATION_BASE_COST : 0;
    result.cost =
      base +
      getComplexity({
        schema: this.schema,
        query: document,
        operationName: operationName ?? undefined,
        variables,
        maxQueryNodes: maxNodes,
        estimators: [
          ({ type, field, node, args, childComplexity }) =>
            this.fieldCost(type, field, node, args, childComplexity, sizedMultipliers, assumed),
        ],
      });
    result.relevantVariables = [...relevant].sort();
    result.assumedLists = [...assumed].sort();
    return result;
  }

  /**
   * The cost of what a response really holds: the same weights, with the lists' real lengths and only the
   * objects that came back (null branches cost nothing).
   */
  actualCost(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>, data: unknown): number {
    const operation = selectOperation(document, operationName);
    const rootType = operation && this.schema.getRootType(operation.operation);
    if (!operation || !rootType || data === null || typeof data !== 'object')
      return operation?.operation === 'mutation' ? MUTATION_BASE_COST : 0;
    const stepsOf = this.actualCostSteps(document);
    const included = (directives: readonly DirectiveNode[]): boolean => {
      for (const directive of directives) {
        const argument = directive.arguments?.find((arg) => arg.name.value === 'if')?.value;
        const flag =
          argument?.kind === Kind.VARIABLE ? variables[argument.name.value] : argument?.kind === Kind.BOOLEAN ? argument.value : undefined;
        if (directive.name.value === 'skip' && flag === true) return false;
        if (directive.name.value === 'include' && flag === false) return false;
      }
      return true;
    };
    // Arguments given through variables cost what this request's values make them: once per field occurrence.
    const variableArgumentsCost = new Map<CostFieldStep, number>();
    const argumentsCostOf = (step: CostFieldStep): number => {
      if (step.argumentsCost !== null) return step.argumentsCost;
      let cost = variableArgumentsCost.get(step);
      if (cost === undefined) {
        cost = this.argumentsCost(step.field, step.coordinate, argumentValues(step.field, step.node, variables));
        variableArgumentsCost.set(step, cost);
      }
      return cost;
    };
    const itemCost = (step: CostFieldStep, item: unknown, seen: ReadonlySet<string>): number => {
      if (item === null || item === undefined) return 0;
      if (Array.isArray(item)) {
        let cost = 0;
        for (const inner of item) cost += itemCost(step, inner, seen);
        return cost;
      }
      let cost = step.weight;
      if (step.selectionSet && step.named && typeof item === 'object') {
        const typename = (item as Record<string, unknown>).__typename;
        const runtime = typeof typename === 'string' ? this.schema.getType(typename) : null;
        cost += objectCost(
          step.selectionSet,
          runtime && isCompositeType(runtime) ? runtime : step.named,
          item as Record<string, unknown>,
          seen,
        );
      }
      return cost;
    };
    const objectCost = (
      selectionSet: SelectionSetNode,
      parent: GraphQLCompositeType,
      value: Record<string, unknown>,
      seen: ReadonlySet<string>,
    ): number => {
      let cost = 0;
      for (const step of stepsOf(selectionSet, parent)) {
        if (step.directives !== null && !included(step.directives)) continue;
        if (step.kind === 'field') {
          // Only what the object holds itself (a response object may have a prototype; none of its keys count).
          const fieldValue = ownValue(value, step.key);
          if (fieldValue !== undefined) cost += argumentsCostOf(step) + itemCost(step, fieldValue, seen);
          continue;
        }
        if (step.spread !== null && seen.has(step.spread)) continue;
        // Without __typename in the response a type condition cannot be checked: count it (an upper bound).
        const typename = value.__typename;
        if (step.objectTypeName !== null && typeof typename === 'string' && step.objectTypeName !== typename) continue;
        const next = step.spread !== null ? new Set([...seen, step.spread]) : seen;
        cost += objectCost(step.selectionSet, step.condition, value, next);
      }
      return cost;
    };
    return (
      (operation.operation === 'mutation' ? MUTATION_BASE_COST : 0) +
      objectCost(operation.selectionSet, rootType, data as Record<string, unknown>, new Set())
    );
  }

  /**
   * What each selection of a document costs apart from its items and variables, per (selection set, parent
   * type), worked out once per document and kept while Apollo Server keeps the parsed document: a response
   * with 20 orders and 80 lines would otherwise redo it 100 times, and every request would redo it once.
   */
  private actualCostSteps(document: DocumentNode): (selectionSet: SelectionSetNode, parent: GraphQLCompositeType) => CostStep[] {
    let known = this.actualSteps.get(document);
    if (!known) {
      known = new Map();
      this.actualSteps.set(document, known);
    }
    const bySelectionSet = known;
    let fragments: Map<string, FragmentDefinitionNode> | null = null;
    return (selectionSet, parent) => {
      let byParent = bySelectionSet.get(selectionSet);
      if (!byParent) {
        byParent = new Map();
        bySelectionSet.set(selectionSet, byParent);
      }
      let steps = byParent.get(parent.name);
      if (steps) return steps;
      fragments ??= new Map(
        document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
      );
      steps = [];
      for (const selection of selectionSet.selections) {
        const directives = selection.directives?.length ? selection.directives : null;
        if (selection.kind === Kind.FIELD) {
          const field = fieldOf(parent, selection.name.value);
          if (!field) continue;
          const coordinate = `${parent.name}.${field.name}`;
          const named = getNamedType(field.type);
          const variablesUsed = new Set<string>();
          for (const argument of selection.arguments ?? []) collectVariables(argument.value, variablesUsed);
          // Without variables in its arguments, or with none that a weight could reach, a field's arguments cost
          // the same in every request: no per-request coercion of its arguments.
          const argumentsCost =
            variablesUsed.size === 0
              ? this.argumentsCost(field, coordinate, argumentValues(field, selection, {}))
              : this.argumentsMayCost(field, coordinate)
                ? null
                : 0;
          const composite = isCompositeType(named) ? named : null;
          const weight = this.model.fieldWeights.get(coordinate) ?? this.model.typeWeights.get(named.name) ?? (composite ? 1 : 0);
          // A leaf of weight 0 whose arguments cost nothing adds 0 wherever it appears, as often as it does:
          // left out, so that a 20-item listing's scalars are not visited at all.
          if (weight === 0 && argumentsCost === 0 && (composite === null || !selection.selectionSet)) continue;
          steps.push({
            kind: 'field',
            directives,
            key: selection.alias?.value ?? selection.name.value,
            field,
            node: selection,
            coordinate,
            argumentsCost,
            weight,
            named: composite,
            selectionSet: selection.selectionSet ?? null,
          });
          continue;
        }
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment) continue;
        const conditionName = fragment.typeCondition?.name.value;
        const condition = conditionName ? this.schema.getType(conditionName) : parent;
        if (!condition || !isCompositeType(condition)) continue;
        steps.push({
          kind: 'fragment',
          directives,
          spread: selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : null,
          condition,
          // An object type condition is checked against the response's __typename, when there is one.
          objectTypeName: isObjectType(condition) ? condition.name : null,
          selectionSet: fragment.selectionSet,
        });
      }
      byParent.set(parent.name, steps);
      return steps;
    };
  }

  /** Cost of one field: list size × (its weight + its selection's cost) + the weights of the arguments it was given. */
  private fieldCost(
    parent: GraphQLCompositeType,
    field: GraphQLField<unknown, unknown>,
    node: FieldNode,
    args: Record<string, unknown>,
    childComplexity: number,
    sizedMultipliers: Map<FieldNode, number>,
    assumed: Set<string>,
  ): number {
    // __schema and __type are answered by the router from its schema (no subgraph, no database): free.
    if (field.name.startsWith('__')) return 0;
    const coordinate = `${parent.name}.${field.name}`;
    const named = getNamedType(field.type);
    const weight = this.model.fieldWeights.get(coordinate) ?? this.model.typeWeights.get(named.name) ?? (isCompositeType(named) ? 1 : 0);
    let multiplier = 1;
    if (isListType(getNullableType(field.type))) {
      const sized = sizedMultipliers.get(node) ?? this.listSize(coordinate, args);
      // Only an assumed size that changes the price is worth naming in a refusal.
      if (sized === null && weight + childComplexity > 0) assumed.add(coordinate);
      multiplier = sized ?? this.options.defaultListSize;
    }
    return multiplier * (weight + childComplexity) + this.argumentsCost(field, coordinate, args);
  }

  /** The size a list field's slicing argument or `assumedSize` gives it; null when nothing does. */
  private listSize(coordinate: string, args: Record<string, unknown>): number | null {
    const listSize = this.model.listSizes.get(coordinate);
    if (!listSize) return null;
    const given = listSize.slicingArguments.map((name) => args[name]).filter((value): value is number => typeof value === 'number');
    if (given.length > 0) return Math.max(...given);
    return listSize.assumedSize;
  }

  private argumentsCost(field: GraphQLField<unknown, unknown>, coordinate: string, args: Record<string, unknown>): number {
    let cost = 0;
    for (const argument of field.args) {
      const value = args[argument.name];
      if (value === undefined || value === null) continue;
      cost += this.model.argumentWeights.get(`${coordinate}(${argument.name}:)`) ?? 0;
      cost += this.inputCost(argument.type, value);
    }
    return cost;
  }

  /**
   * Whether any value of `field`'s arguments could cost something: an argument with a weight of its own, or one
   * whose input type reaches an input field with a weight. When none can, `argumentsCost` is 0 for every value.
   */
  private argumentsMayCost(field: GraphQLField<unknown, unknown>, coordinate: string): boolean {
    return field.args.some(
      (argument) =>
        this.model.argumentWeights.has(`${coordinate}(${argument.name}:)`) || this.inputMayCost(getNamedType(argument.type), new Set()),
    );
  }

  /** Whether a value of input type `type` could set an input field with a weight, at any depth. */
  private inputMayCost(type: GraphQLNamedType, visiting: Set<string>): boolean {
    if (!isInputObjectType(type) || visiting.has(type.name)) return false;
    visiting.add(type.name);
    return Object.values(type.getFields()).some(
      (inputField) =>
        this.model.inputFieldWeights.has(`${type.name}.${inputField.name}`) || this.inputMayCost(getNamedType(inputField.type), visiting),
    );
  }

  /** Weights of the input fields a value sets, through nested input objects and lists. */
  private inputCost(type: GraphQLInputType, value: unknown): number {
    const nullable = getNullableType(type);
    if (value === null || value === undefined) return 0;
    if (isListType(nullable))
      return Array.isArray(value) ? value.reduce((sum: number, item) => sum + this.inputCost(nullable.ofType, item), 0) : 0;
    if (!isInputObjectType(nullable) || typeof value !== 'object') return 0;
    let cost = 0;
    for (const [name, inputField] of Object.entries(nullable.getFields())) {
      const fieldValue = (value as Record<string, unknown>)[name];
      if (fieldValue === undefined || fieldValue === null) continue;
      cost += this.model.inputFieldWeights.get(`${nullable.name}.${name}`) ?? 0;
      cost += this.inputCost(inputField.type, fieldValue);
    }
    return cost;
  }

  private collectRelevantVariables(field: GraphQLField<unknown, unknown>, coordinate: string, node: FieldNode, into: Set<string>): void {
    const slicing = new Set(this.model.listSizes.get(coordinate)?.slicingArguments ?? []);
    for (const argumentNode of node.arguments ?? []) {
      const argument = field.args.find((arg: GraphQLArgument) => arg.name === argumentNode.name.value);
      if (!argument) continue;
      const matters =
        slicing.has(argument.name) ||
        this.model.argumentWeights.has(`${coordinate}(${argument.name}:)`) ||
        isInputObjectType(getNamedType(argument.type));
      if (matters) collectVariables(argumentNode.value, into);
    }
  }
}

function selectOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((op) => op.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

function argumentValues(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return {};
  }
}

function collectVariables(value: ValueNode | undefined, into: Set<string>): void {
  if (!value) return;
  if (value.kind === Kind.VARIABLE) into.add(value.name.value);
  else if (value.kind === Kind.LIST) for (const item of value.values) collectVariables(item, into);
  else if (value.kind === Kind.OBJECT) for (const field of value.fields) collectVariables(field.value, into);
}

/** Fields named `names` directly in a selection set, through inline fragments and fragment spreads. */
function childFields(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  names: string[],
  seen = new Set<string>(),
): FieldNode[] {
  const found: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (names.includes(selection.name.value)) found.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      found.push(...childFields(selection.selectionSet, fragments, names, seen));
    } else if (!seen.has(selection.name.value)) {
      const fragment = fragments.get(selection.name.value);
      seen.add(selection.name.value);
      if (fragment) found.push(...childFields(fragment.selectionSet, fragments, names, seen));
    }
  }
  return found;
}
