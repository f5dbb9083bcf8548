import { type ConstDirectiveNode, type DocumentNode, Kind, type ValueNode } from 'graphql';
import { linkedFeatures } from '../supergraph/prepareSupergraph';

/** `@listSize` on a field, as the cost specification defines it. */
export interface ListSize {
  assumedSize: number | null;
  slicingArguments: string[];
  sizedFields: string[];
  requireOneSlicingArgument: boolean;
}

/**
 * The cost annotations of a supergraph, read from the composed SDL (the API schema no longer carries them):
 * `@cost(weight:)` on types, fields, arguments and input fields, `@listSize` on fields, and the
 * `@maxPageSize(max:)` that subgraphs compose in with `@composeDirective`.
 */
export class CostModel {
  readonly typeWeights = new Map<string, number>();
  /** `Type.field` → weight. */
  readonly fieldWeights = new Map<string, number>();
  /** `Type.field(argument:)` → weight; `Input.field` (input fields) → weight. */
  readonly argumentWeights = new Map<string, number>();
  readonly inputFieldWeights = new Map<string, number>();
  readonly listSizes = new Map<string, ListSize>();
  readonly maxPageSizes = new Map<string, number>();

  constructor(supergraph: DocumentNode) {
    const features = linkedFeatures(supergraph);
    const nameOf = (spec: string, directive: string): string => {
      const feature = features.find((f) => f.identity.endsWith(`/${spec}`));
      if (!feature) return directive;
      return directive === spec ? feature.directiveName : directive;
    };
    const cost = nameOf('cost', 'cost');
    const listSize = 'listSize';
    const maxPageSize = nameOf('paging', 'maxPageSize');
    const weightOf = (directives: readonly ConstDirectiveNode[] | undefined): number | null => {
      const directive = directives?.find((d) => d.name.value === cost);
      const value = directive?.arguments?.find((arg) => arg.name.value === 'weight')?.value;
      return value?.kind === Kind.INT ? Number(value.value) : null;
    };
    for (const definition of supergraph.definitions) {
      if (!('name' in definition) || !definition.name || !('kind' in definition)) continue;
      const typeName = definition.name.value;
      const directives = 'directives' in definition ? (definition.directives as readonly ConstDirectiveNode[]) : undefined;
      const typeWeight = weightOf(directives);
      if (typeWeight !== null) this.typeWeights.set(typeName, typeWeight);
      if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || definition.kind === Kind.INPUT_OBJECT_TYPE_EXTENSION) {
        for (const field of definition.fields ?? []) {
          const weight = weightOf(field.directives);
          if (weight !== null) this.inputFieldWeights.set(`${typeName}.${field.name.value}`, weight);
        }
      }
      if (
        definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
        definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
        definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
        definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
      ) {
        continue;
      }
      for (const field of definition.fields ?? []) {
        const coordinate = `${typeName}.${field.name.value}`;
        const weight = weightOf(field.directives);
        if (weight !== null) this.fieldWeights.set(coordinate, weight);
        for (const argument of field.arguments ?? []) {
          const argumentWeight = weightOf(argument.directives);
          if (argumentWeight !== null) this.argumentWeights.set(`${coordinate}(${argument.name.value}:)`, argumentWeight);
        }
        for (const directive of field.directives ?? []) {
          if (directive.name.value === listSize) this.listSizes.set(coordinate, readListSize(directive));
          if (directive.name.value === maxPageSize) {
            const max = directive.arguments?.find((arg) => arg.name.value === 'max')?.value;
            if (max?.kind === Kind.INT) this.maxPageSizes.set(coordinate, Number(max.value));
          }
        }
      }
    }
  }
}

function stringList(value: ValueNode | undefined): string[] {
  if (!value) return [];
  if (value.kind === Kind.STRING) return [value.value];
  return value.kind === Kind.LIST ? value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : [])) : [];
}

function readListSize(directive: ConstDirectiveNode): ListSize {
  const argument = (name: string) => directive.arguments?.find((arg) => arg.name.value === name)?.value;
  const assumed = argument('assumedSize');
  const requireOne = argument('requireOneSlicingArgument');
  return {
    assumedSize: assumed?.kind === Kind.INT ? Number(assumed.value) : null,
    slicingArguments: stringList(argument('slicingArguments')),
    sizedFields: stringList(argument('sizedFields')),
    requireOneSlicingArgument: requireOne?.kind === Kind.BOOLEAN ? requireOne.value : true,
  };
}
