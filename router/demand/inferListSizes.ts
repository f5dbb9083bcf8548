import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
} from 'graphql';
import type { CostModel } from './CostModel';

/** The slicing argument names recognised without `@listSize` (`COST_SLICING_ARGUMENTS`'s default). */
export const DEFAULT_SLICING_ARGUMENTS: readonly string[] = ['first', 'last', 'limit', 'pageSize', 'take'];

/** How the cost model sizes the supergraph's lists: what the start-up log line and its fields say. */
export interface ListSizeSummary {
  /** List and connection fields with `@listSize`. */
  annotated: string[];
  /** Fields without it that have a slicing argument, with its names: `Query.topProducts(first)`. */
  inferred: string[];
  /** `edges`/`nodes` lists sized by the slicing argument of the connection field above them. */
  sizedByConnection: string[];
  /** Lists sized by nothing: each counts as `COST_DEFAULT_LIST_SIZE` items. */
  fallingBack: string[];
  /** One line for the log. */
  line: string;
}

/** The `edges`/`nodes` list fields of a connection type: what its connection field's slicing argument sizes. */
function sizedFieldsOf(type: GraphQLNamedType): string[] {
  if (!isObjectType(type) && !isInterfaceType(type)) return [];
  const fields = type.getFields();
  return ['edges', 'nodes'].filter((name) => fields[name] && isListType(getNullableType(fields[name].type)));
}

function listFields(schema: GraphQLSchema): { coordinate: string; field: GraphQLField<unknown, unknown> }[] {
  const found: { coordinate: string; field: GraphQLField<unknown, unknown> }[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) found.push({ coordinate: `${type.name}.${field.name}`, field });
  }
  return found;
}

function sample(coordinates: string[], max = 8): string {
  return coordinates.length <= max
    ? coordinates.join(', ')
    : `${coordinates.slice(0, max).join(', ')} and ${coordinates.length - max} more`;
}

/**
 * Sizes what `@listSize` leaves unsized, so that demand control prices any supergraph by what operations
 * ask for: a list field, or a connection field (one returning a type with an `edges` or `nodes` list),
 * that has an argument named in `slicingArguments` gets that argument as its slicing argument, as if it were
 * annotated `@listSize(slicingArguments: [...], sizedFields: ["edges", "nodes"], requireOneSlicingArgument: false)`.
 * Adds those to `model.listSizes`, and returns what is sized how (lists sized by nothing fall back to
 * `defaultListSize` per item).
 */
export function inferListSizes(
  model: CostModel,
  schema: GraphQLSchema,
  slicingArguments: readonly string[],
  defaultListSize: number,
): ListSizeSummary {
  const annotated: string[] = [];
  const inferred: string[] = [];
  const fields = listFields(schema);
  const returnType = new Map(fields.map(({ coordinate, field }) => [coordinate, field.type]));
  for (const { coordinate, field } of fields) {
    const list = isListType(getNullableType(field.type));
    const sizedFields = list ? [] : sizedFieldsOf(getNamedType(field.type));
    if (!list && sizedFields.length === 0) continue;
    if (model.listSizes.has(coordinate)) {
      annotated.push(coordinate);
      continue;
    }
    const names = field.args.map((arg) => arg.name).filter((name) => slicingArguments.includes(name));
    if (names.length === 0) continue;
    model.listSizes.set(coordinate, { assumedSize: null, slicingArguments: names, sizedFields, requireOneSlicingArgument: false });
    inferred.push(`${coordinate}(${names.join(', ')})`);
  }
  // The lists a connection field sizes, whether by annotation or by inference.
  const sizedByConnection = new Set<string>();
  for (const [coordinate, listSize] of model.listSizes) {
    const type = returnType.get(coordinate);
    if (!type) continue;
    for (const name of listSize.sizedFields) sizedByConnection.add(`${getNamedType(type).name}.${name}`);
  }
  const fallingBack = fields
    .filter(
      ({ coordinate, field }) =>
        isListType(getNullableType(field.type)) && !model.listSizes.has(coordinate) && !sizedByConnection.has(coordinate),
    )
    .map(({ coordinate }) => coordinate);
  for (const list of [annotated, inferred, fallingBack]) list.sort();
  const line =
    `cost model: ${annotated.length + inferred.length + sizedByConnection.size + fallingBack.length} list fields; ` +
    `${annotated.length} sized by @listSize, ${inferred.length} by an inferred slicing argument${inferred.length ? ` (${sample(inferred)})` : ''}, ` +
    `${sizedByConnection.size} by their connection field, ${fallingBack.length} falling back to COST_DEFAULT_LIST_SIZE=${defaultListSize}` +
    `${fallingBack.length ? ` (${sample(fallingBack)})` : ''}`;
  return { annotated, inferred, sizedByConnection: [...sizedByConnection].sort(), fallingBack, line };
}
