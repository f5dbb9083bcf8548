import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  AppError,
  connectionFrom,
  dateTimeScalar,
  declareChanged,
  declareChangedInPlace,
  ErrorCode,
  money,
  pageSize,
  parseId,
  Unauthenticated,
} from '../../shared';
import type { Order } from './entities/Order';
import type { OrderItem } from './entities/OrderItem';
import { type PlaceOrderInput, placeOrder } from './placeOrder';
import type { OrderContext } from './server';

/** Largest page of a user's orders; a larger `first` is refused. */
export const MAX_ORDERS_PAGE = 100;
const PAGE = { first: 20, maximum: MAX_ORDERS_PAGE };

/** Scope of support staff: read any user's orders. Everyone else reads only their own. */
export const READ_ALL_ORDERS_SCOPE = 'orders:read';

function mayReadOrdersOf(userId: string, context: OrderContext): boolean {
  return context.caller.userId === userId || context.caller.scopes.has(READ_ALL_ORDERS_SCOPE);
}

/** An order the caller may read, or null: another user's order is answered exactly like one that does not exist. */
async function ownOrder(id: number | null, context: OrderContext): Promise<Order | null> {
  if (id === null || context.caller.userId === null) return null;
  const order = await context.loaders.orderById.load(id);
  return order && mayReadOrdersOf(String(order.userId), context) ? order : null;
}

export const resolvers: GraphQLResolverMap<OrderContext> = {
  DateTime: dateTimeScalar,
  Query: {
    order: (_parent, args: { id: string }, context) => ownOrder(parseId(args.id), context),
  },
  Mutation: {
    placeOrder: async (_parent, args: { input: PlaceOrderInput }, context) => {
      if (context.caller.userId === null) throw new Unauthenticated('Sign in to place an order.');
      const order = await placeOrder(context.checkout, Number(context.caller.userId), args.input);
      // The stock of every product it took (in place: no list filters or orders on stock) and the user's orders
      // changed: the router's entity cache drops them.
      declareChangedInPlace('Product', ...args.input.items.map((item) => ({ id: String(item.productId) })));
      declareChanged('User', { id: String(context.caller.userId) });
      return order;
    },
  },
  User: {
    orders: async (user: { id: string }, args: { first?: number; after?: string }, context) => {
      if (!mayReadOrdersOf(user.id, context)) throw new AppError(ErrorCode.FORBIDDEN, 'Only the user themselves can read User.orders.');
      const page = pageSize('order', args, PAGE);
      const userId = parseId(user.id);
      const rows = userId === null ? [] : await context.loaders.ordersByUser.load({ parentId: userId, page });
      return connectionFrom('order', rows, page);
    },
  },
  Order: {
    __resolveReference: (reference: { id: string }, context: OrderContext) => ownOrder(parseId(reference.id), context),
    id: (order: Order) => String(order.id),
    items: (order: Order, _args, context) => context.loaders.itemsByOrderId.load(order.id),
    total: (order: Order) => money(order.totalCents, order.currency),
    customer: (order: Order) => ({ __typename: 'User', id: String(order.userId) }),
  },
  OrderItem: {
    id: (item: OrderItem) => String(item.id),
    product: (item: OrderItem) => ({ __typename: 'Product', id: String(item.productId) }),
    unitPrice: (item: OrderItem) => money(item.unitPriceCents, item.currency),
    lineTotal: (item: OrderItem) => money(item.unitPriceCents * item.quantity, item.currency),
  },
};
