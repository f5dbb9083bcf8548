import {
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  Kind,
  TypeInfo,
  type ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/**
 * The schema coordinates an operation uses: `Type.field` for every field, `Type.field(arg:)` for every
 * argument given, `Enum.VALUE` and `Input.field` for literals in arguments.
 */
export function coordinatesOf(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const coordinates = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const literal = (value: ValueNode, type: GraphQLInputType | null | undefined) => {
    const named = type ? getNamedType(type) : null;
    if (value.kind === Kind.ENUM && named && isEnumType(named)) coordinates.add(`${named.name}.${value.value}`);
    if (value.kind === Kind.LIST) for (const item of value.values) literal(item, named as GraphQLInputType);
    if (value.kind === Kind.OBJECT && named && isInputObjectType(named)) {
      const fields = named.getFields();
      for (const field of value.fields) {
        coordinates.add(`${named.name}.${field.name.value}`);
        literal(field.value, fields[field.name.value]?.type);
      }
    }
  };
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
          literal(argument.value, definition?.args.find((arg) => arg.name === argument.name.value)?.type);
        }
      },
    }),
  );
  return coordinates;
}
