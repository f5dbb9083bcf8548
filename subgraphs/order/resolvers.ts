import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { connectionFrom, dateTimeScalar, money, pageSize, parseId, Unauthenticated } from '../../shared';
import type { Order } from './entities/Order';
import type { OrderItem } from './entities/OrderItem';
import { type PlaceOrderInput, placeOrder } from './placeOrder';
import type { OrderContext } from './server';

/** Largest page of a user's orders; a larger `first` is refused. */
export const MAX_ORDERS_PAGE = 100;
const PAGE = { first: 20, maximum: MAX_ORDERS_PAGE };

export const resolvers: GraphQLResolverMap<OrderContext> = {
  DateTime: dateTimeScalar,
  Query: {
    order: (_parent, args: { id: string }, context) => {
      const id = parseId(args.id);
      return id === null ? null : context.loaders.orderById.load(id);
    },
  },
  Mutation: {
    placeOrder: (_parent, args: { input: PlaceOrderInput }, context) => {
      if (context.userId === null) throw new Unauthenticated('Sign in to place an order.');
      return placeOrder(context.checkout, Number(context.userId), args.input);
    },
  },
  User: {
    orders: async (user: { id: string }, args: { first?: number; after?: string }, context) => {
      const page = pageSize('order', args, PAGE);
      const userId = parseId(user.id);
      const rows = userId === null ? [] : await context.loaders.ordersByUser.load({ parentId: userId, page });
      return connectionFrom('order', rows, page);
    },
  },
  Order: {
    __resolveReference: (reference: { id: string }, context: OrderContext) => {
      const id = parseId(reference.id);
      return id === null ? null : context.loaders.orderById.load(id);
    },
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
