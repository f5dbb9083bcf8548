import { defaultFieldResolver, type GraphQLSchema, getNamedType, isInterfaceType, isObjectType } from 'graphql';
import { type Caller, denialFor, denialMessage, mergeRequirements, requirementOf } from '../authorization';
import { ErrorCode } from '../errorRegistry';
import { AppError } from '../errors';

const NAMES = { authenticated: 'authenticated', requiresScopes: 'requiresScopes' };

/**
 * Enforces a subgraph's own `@authenticated` and `@requiresScopes` in its resolvers, for requests that reach
 * it without the router's checks (the router enforces the same rules before planning). A field the caller
 * may not read fails with UNAUTHENTICATED or FORBIDDEN before its resolver runs. The context must hold a
 * `caller`.
 */
export function enforceAuthorization(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const returned = getNamedType(field.type);
      const requirement = mergeRequirements(
        requirementOf(field.astNode?.directives, NAMES),
        requirementOf(returned.astNode && 'directives' in returned.astNode ? returned.astNode.directives : undefined, NAMES),
      );
      const fromInterfaces = type
        .getInterfaces()
        .map((i) => (isInterfaceType(i) ? i.getFields()[field.name]?.astNode?.directives : undefined));
      const full = fromInterfaces.reduce((acc, directives) => mergeRequirements(acc, requirementOf(directives, NAMES)), requirement);
      if (!full) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const coordinate = `${type.name}.${field.name}`;
      field.resolve = (source, args, context: { caller: Caller }, info) => {
        const code = denialFor(full, context.caller);
        if (code) throw new AppError(ErrorCode[code], denialMessage(code, coordinate));
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
