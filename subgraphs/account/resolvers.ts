import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { dateTimeScalar, parseId } from '../../shared';
import type { User } from './entities/User';
import type { AccountContext } from './server';

export const resolvers: GraphQLResolverMap<AccountContext> = {
  DateTime: dateTimeScalar,
  Query: {
    me: (_parent, _args, context) => (context.userId === null ? null : context.loaders.userById.load(Number(context.userId))),
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
  },
};
