import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { AppError, dateTimeScalar, ErrorCode, parseId } from '../../shared';
import type { Address } from './entities/Address';
import type { User } from './entities/User';
import type { AccountContext } from './server';

/** A user's private fields are theirs alone; `@authenticated` already turned anonymous callers away. */
function requireOwner(user: User, context: AccountContext, field: string): void {
  if (context.caller.userId !== String(user.id)) {
    throw new AppError(ErrorCode.FORBIDDEN, `Only the user themselves can read User.${field}.`);
  }
}

export const resolvers: GraphQLResolverMap<AccountContext> = {
  DateTime: dateTimeScalar,
  Query: {
    me: (_parent, _args, context) => (context.caller.userId === null ? null : context.loaders.userById.load(Number(context.caller.userId))),
    user: (_parent, args: { id: string }, context) => {
      const id = parseId(args.id);
      return id === null ? null : context.loaders.userById.load(id);
    },
  },
  User: {
    __resolveReference: (reference: { id: string }, context: AccountContext) => {
      const id = parseId(reference.id);
      return id === null ? null : context.loaders.userById.load(id);
    },
    id: (user: User) => String(user.id),
    email: (user: User, _args, context) => {
      requireOwner(user, context, 'email');
      return user.email;
    },
    addresses: (user: User, _args, context) => {
      requireOwner(user, context, 'addresses');
      return context.loaders.addressesByUserId.load(user.id);
    },
  },
  Address: {
    id: (address: Address) => String(address.id),
    line2: (address: Address) => address.line2 || null,
  },
};
