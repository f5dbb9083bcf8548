import {
  BreakingChangeType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
} from 'graphql';

/** What `coordinatesOfChange` reads: a breaking change's type and graphql-js's (or `directiveChanges`') message. */
export interface BreakingChange {
  type: string;
  message: string;
  /** The coordinate a change of our own (`AUTHORIZATION_ADDED`, `MAX_PAGE_SIZE_CHANGED`) is about. */
  coordinate?: string;
}

const NAME = '[A-Za-z_]\\w*';

/** The names a message of a known form holds, or null when graphql-js worded it otherwise (then nothing is matched). */
function namesIn(message: string, form: string): string[] | null {
  const match = new RegExp(`^${form}$`).exec(message);
  return match ? match.slice(1) : null;
}

/**
 * Every coordinate the router records when a request uses a value of type `typeName` (an input object, an
 * enum or a scalar) or reads a field returning it: `Type.` (its own fields and values), each argument of
 * that type (and the field itself when the argument has a default: leaving it out uses a value too), each
 * input field of that type (and, when it has a default, every use of the input type holding it), and each
 * field returning it. Read from `schema`, the published one the usage was recorded against.
 */
export function usesOfType(schema: GraphQLSchema, typeName: string, seen = new Set<string>()): string[] {
  if (seen.has(typeName)) return [];
  seen.add(typeName);
  const coordinates = new Set([`${typeName}.`]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        if (getNamedType(field.type).name === typeName) coordinates.add(coordinate);
        for (const argument of field.args) {
          if (getNamedType(argument.type).name !== typeName) continue;
          coordinates.add(`${coordinate}(${argument.name}:)`);
          if (argument.defaultValue !== undefined) coordinates.add(coordinate);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (getNamedType(field.type).name !== typeName) continue;
        coordinates.add(`${type.name}.${field.name}`);
        if (field.defaultValue !== undefined) for (const use of usesOfType(schema, type.name, seen)) coordinates.add(use);
      }
    }
  }
  return [...coordinates];
}

/**
 * The schema coordinates whose recorded use means a client depends on what a breaking change removes, in the
 * forms the router records (`router/usage/coordinatesOf.ts`): `Type.field`, `Type.field(arg:)`, `Enum.VALUE`,
 * `Input.field`, or `Type.` (any of a type's fields or values). Read by the change's type, the names taken from
 * graphql-js's message for that type; `before` and `after` are the published and proposed API schemas.
 *
 * Empty for what usage cannot answer, so that the change stays blocking: directives (the router does not
 * record which directives operations use), any change type not handled here, and a message of an unexpected
 * form.
 */
export function coordinatesOfChange(change: BreakingChange, before: GraphQLSchema, after: GraphQLSchema): string[] {
  const { message } = change;
  switch (change.type) {
    case BreakingChangeType.FIELD_REMOVED: {
      // Of an object, interface or input type: a request using it records `Type.field`.
      const names = namesIn(message, `(${NAME})\\.(${NAME}) was removed\\.`);
      return names ? [`${names[0]}.${names[1]}`] : [];
    }
    case BreakingChangeType.FIELD_CHANGED_KIND: {
      const names = namesIn(message, `(${NAME})\\.(${NAME}) changed type from .+`);
      if (!names) return [];
      const [typeName, fieldName] = names;
      // An input field that became required breaks every value of its type that leaves it out, not only those giving it.
      const type = after.getType(typeName);
      const field = isInputObjectType(type) ? type.getFields()[fieldName] : undefined;
      if (field && isNonNullType(field.type) && field.defaultValue === undefined) return usesOfType(before, typeName);
      return [`${typeName}.${fieldName}`];
    }
    case BreakingChangeType.REQUIRED_ARG_ADDED: {
      // Every call of the field leaves the new argument out.
      const names = namesIn(message, `A required arg ${NAME} on (${NAME})\\.(${NAME}) was added\\.`);
      return names ? [`${names[0]}.${names[1]}`] : [];
    }
    case BreakingChangeType.ARG_REMOVED: {
      const names = namesIn(message, `(${NAME})\\.(${NAME}) arg (${NAME}) was removed\\.`);
      return names ? [`${names[0]}.${names[1]}(${names[2]}:)`] : [];
    }
    case BreakingChangeType.ARG_CHANGED_KIND: {
      const names = namesIn(message, `(${NAME})\\.(${NAME}) arg (${NAME}) has changed type from .+`);
      if (!names) return [];
      const [typeName, fieldName, argName] = names;
      // An argument that became required breaks the calls leaving it out too: every call of the field.
      const type = after.getType(typeName);
      const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[fieldName] : undefined;
      const argument = field?.args.find((arg) => arg.name === argName);
      if (argument && isNonNullType(argument.type) && argument.defaultValue === undefined) return [`${typeName}.${fieldName}`];
      return [`${typeName}.${fieldName}(${argName}:)`];
    }
    case BreakingChangeType.REQUIRED_INPUT_FIELD_ADDED: {
      // Every value of the input type leaves the new field out: any request passing one.
      const names = namesIn(message, `A required field ${NAME} on input type (${NAME}) was added\\.`);
      return names ? usesOfType(before, names[0]) : [];
    }
    case BreakingChangeType.VALUE_REMOVED_FROM_ENUM: {
      const names = namesIn(message, `(${NAME}) was removed from enum type (${NAME})\\.`);
      return names ? [`${names[1]}.${names[0]}`] : [];
    }
    case BreakingChangeType.TYPE_REMOVED: {
      const names =
        namesIn(message, `(${NAME}) was removed\\.`) ??
        namesIn(message, `Standard scalar (${NAME}) was removed because it is not referenced anymore\\.`);
      return names ? usesOfType(before, names[0]) : [];
    }
    case BreakingChangeType.TYPE_CHANGED_KIND: {
      const names = namesIn(message, `(${NAME}) changed from .+`);
      return names ? usesOfType(before, names[0]) : [];
    }
    case BreakingChangeType.TYPE_REMOVED_FROM_UNION: {
      // `... on Member` in a selection of the union records the member's fields.
      const names = namesIn(message, `(${NAME}) was removed from union type ${NAME}\\.`);
      return names ? [`${names[0]}.`] : [];
    }
    case BreakingChangeType.IMPLEMENTED_INTERFACE_REMOVED: {
      // `... on Type` in a selection of the interface records the type's fields; `... on Interface` in a
      // selection of the type, the interface's.
      const names = namesIn(message, `(${NAME}) no longer implements interface (${NAME})\\.`);
      return names ? [`${names[0]}.`, `${names[1]}.`] : [];
    }
    case 'AUTHORIZATION_ADDED': {
      // On a field, its calls; on a type, everything that reads or passes one.
      const coordinate = change.coordinate;
      if (!coordinate) return [];
      return coordinate.includes('.') ? [coordinate] : usesOfType(before, coordinate);
    }
    case 'MAX_PAGE_SIZE_CHANGED':
      return change.coordinate ? [change.coordinate] : [];
    default:
      return [];
  }
}
