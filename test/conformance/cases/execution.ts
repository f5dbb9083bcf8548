import { GraphQLError } from 'graphql';
import { byId, type ConformanceCase, federation, type SubgraphDefinition } from '../harness';

const catalog = [
  { id: 'p1', name: 'Desk', price: 250 },
  { id: 'p3', name: 'Stool', price: null },
];
const orders = [
  { id: 'o1', productId: 'p1', productIds: ['p1', 'gone'] },
  { id: 'o2', productId: 'gone', productIds: ['gone'] },
  { id: 'o3', productId: 'p3', productIds: [] },
];
const ordersSubgraph: SubgraphDefinition = {
  name: 'orders',
  typeDefs: `${federation(['@key'])}
    type Query { orders: [Order!]! }
    type Order { id: ID! product: Product products: [Product]! }
    type Product @key(fields: "id", resolvable: false) { id: ID! }`,
  resolvers: {
    Query: {
      orders: () =>
        orders.map((order) => ({ id: order.id, product: { id: order.productId }, products: order.productIds.map((id) => ({ id })) })),
    },
  },
};

/** Entities the owning subgraph does not know (`_entities` answers null for them), with nullable and non-null fields. */
const nullEntities: ConformanceCase = {
  name: 'null entities',
  covers: ['null from _entities', 'null propagation'],
  subgraphs: [
    ordersSubgraph,
    {
      name: 'products',
      typeDefs: `${federation(['@key'])}
        type Product @key(fields: "id") { id: ID! name: String! price: Int }`,
      resolvers: { Product: { __resolveReference: (ref: any) => byId(catalog, ref.id) } },
    },
  ],
  operations: [
    {
      name: 'a non-null field of an unknown entity',
      query: '{ orders { id product { id name } } }',
      expected: {
        data: {
          orders: [
            { id: 'o1', product: { id: 'p1', name: 'Desk' } },
            { id: 'o2', product: null },
            { id: 'o3', product: { id: 'p3', name: 'Stool' } },
          ],
        },
      },
    },
    {
      name: 'unknown entities in a list',
      query: '{ orders { products { name } } }',
      expected: { data: { orders: [{ products: [{ name: 'Desk' }, null] }, { products: [null] }, { products: [] }] } },
    },
    {
      name: 'a nullable field, null or unknown',
      query: '{ orders { product { price } } }',
      expected: { data: { orders: [{ product: { price: 250 } }, { product: { price: null } }, { product: { price: null } }] } },
    },
  ],
};

/** Entities whose resolution fails: a coded error and an unexpected one, each at its path. */
const failingEntities: ConformanceCase = {
  name: 'failing entities',
  covers: ['errors from _entities', 'error paths'],
  subgraphs: [
    ordersSubgraph,
    {
      name: 'products',
      typeDefs: `${federation(['@key'])}
        type Product @key(fields: "id") { id: ID! name: String! price: Int }`,
      resolvers: {
        Product: {
          // Asynchronous, as a loader-backed resolver is: a synchronous throw would fail the subgraph's whole batch.
          __resolveReference: async (ref: any) => {
            if (ref.id === 'gone') throw new GraphQLError('Product gone is discontinued', { extensions: { code: 'DISCONTINUED' } });
            return byId(catalog, ref.id);
          },
          price: (product: any) => {
            if (product.id === 'p3') throw new Error('price service exploded');
            return product.price;
          },
        },
      },
    },
  ],
  operations: [
    {
      name: 'a coded error of one entity',
      query: '{ orders { id product { name } } }',
      expected: {
        data: {
          orders: [
            { id: 'o1', product: { name: 'Desk' } },
            { id: 'o2', product: null },
            { id: 'o3', product: { name: 'Stool' } },
          ],
        },
        errors: [{ message: 'Product gone is discontinued', path: ['orders', 1, 'product'] }],
      },
    },
    {
      // As in one graph: the failed entity's fields from that subgraph are null (price is nullable, so the
      // product stays), and the error is at the entity, which is what the subgraph reported failing.
      name: 'an unexpected error in a field of an entity',
      query: '{ orders { product { price } } }',
      expected: {
        data: { orders: [{ product: { price: 250 } }, { product: { price: null } }, { product: { price: null } }] },
        errors: [
          { message: 'Product gone is discontinued', path: ['orders', 1, 'product'] },
          { message: 'price service exploded', path: ['orders', 2, 'product', 'price'] },
        ],
      },
      ours: {
        why: 'the router masks errors a subgraph did not give a code (INTERNAL_SERVER_ERROR): their text may leak internals',
        data: { orders: [{ product: { price: 250 } }, { product: { price: null } }, { product: { price: null } }] },
        errors: [
          { message: 'Product gone is discontinued', path: ['orders', 1, 'product'] },
          { message: 'Internal server error', path: ['orders', 2, 'product', 'price'] },
        ],
      },
    },
  ],
};

const parcels = [
  { id: 'p1', name: 'Vase', weight: 3 },
  { id: 'p2', name: 'Anvil', weight: 10 },
];
const shippingSubgraphs: SubgraphDefinition[] = [
  {
    name: 'products',
    typeDefs: `${federation(['@key'])}
      type Query { products: [Product!]! }
      type Product @key(fields: "id") { id: ID! name: String! weight: Int! }`,
    resolvers: { Query: { products: () => parcels }, Product: { __resolveReference: (ref: any) => byId(parcels, ref.id) } },
  },
  {
    name: 'shipping',
    typeDefs: `${federation(['@key', '@external', '@requires'])}
      type Product @key(fields: "id") { id: ID! weight: Int! @external shippingCost: Int! @requires(fields: "weight") }`,
    resolvers: { Product: { __resolveReference: (ref: any) => ref, shippingCost: (product: any) => product.weight * 2 } },
  },
];

/** `@skip`/`@include` on fields, fragments and fields that need entity calls or `@requires`, by literal and by variable. */
const skipInclude: ConformanceCase = {
  name: '@skip and @include',
  covers: ['@skip', '@include', 'conditions on @requires fields'],
  subgraphs: shippingSubgraphs,
  operations: [
    {
      name: 'a required field included by a variable',
      query: 'query Costs($withCost: Boolean!) { products { name shippingCost @include(if: $withCost) } }',
      variables: { withCost: true },
      expected: {
        data: {
          products: [
            { name: 'Vase', shippingCost: 6 },
            { name: 'Anvil', shippingCost: 20 },
          ],
        },
      },
    },
    {
      name: 'a required field left out by a variable',
      query: 'query Costs($withCost: Boolean!) { products { name shippingCost @include(if: $withCost) } }',
      variables: { withCost: false },
      expected: { data: { products: [{ name: 'Vase' }, { name: 'Anvil' }] } },
    },
    {
      name: 'a skipped fragment',
      query: 'query Costs($skip: Boolean!) { products { name ... @skip(if: $skip) { weight shippingCost } } }',
      variables: { skip: true },
      expected: { data: { products: [{ name: 'Vase' }, { name: 'Anvil' }] } },
    },
    {
      name: 'literal conditions',
      query: '{ products { name @skip(if: true) weight @include(if: false) shippingCost id @include(if: true) } }',
      expected: {
        data: {
          products: [
            { shippingCost: 6, id: 'p1' },
            { shippingCost: 20, id: 'p2' },
          ],
        },
      },
    },
  ],
};

/** What the mutations of one operation wrote, in the order they ran (both subgraphs append to it). */
const journal: string[] = [];
const items = [{ id: 'i1', name: 'Pen' }];

/** Mutations over two subgraphs run one after another, in the order of the operation. */
const mutationsInOrder: ConformanceCase = {
  name: 'mutations in order',
  covers: ['mutations in order across subgraphs', 'mutation returning an entity'],
  subgraphs: [
    {
      name: 'journal',
      typeDefs: `${federation(['@key'])}
        type Query { entries: [String!]! }
        type Mutation { reset: Boolean! append(text: String!): [String!]! }
        type Item @key(fields: "id") { id: ID! stockCount: Int! }`,
      resolvers: {
        Query: { entries: () => journal },
        Mutation: {
          reset: () => {
            journal.length = 0;
            return true;
          },
          append: (_: unknown, { text }: { text: string }) => {
            journal.push(text);
            return [...journal];
          },
        },
        Item: { __resolveReference: (ref: any) => ref, stockCount: () => journal.length },
      },
    },
    {
      name: 'shouting',
      typeDefs: `${federation(['@key'])}
        type Mutation { appendUpper(text: String!): [String!]! rename(id: ID!, name: String!): Item! }
        type Item @key(fields: "id") { id: ID! name: String! }`,
      resolvers: {
        Mutation: {
          appendUpper: (_: unknown, { text }: { text: string }) => {
            journal.push(text.toUpperCase());
            return [...journal];
          },
          rename: (_: unknown, { id, name }: { id: string; name: string }) => ({ id, name }),
        },
        Item: { __resolveReference: (ref: any) => byId(items, ref.id) },
      },
    },
  ],
  operations: [
    {
      name: 'alternating subgraphs',
      query: 'mutation { reset first: append(text: "a") second: appendUpper(text: "b") third: append(text: "c") }',
      expected: { data: { reset: true, first: ['a'], second: ['a', 'B'], third: ['a', 'B', 'c'] } },
    },
    {
      name: 'an entity from the other subgraph after each write',
      query: 'mutation { reset a: append(text: "x") item: rename(id: "i1", name: "Quill") { name stockCount } b: append(text: "y") }',
      expected: { data: { reset: true, a: ['x'], item: { name: 'Quill', stockCount: 1 }, b: ['x', 'y'] } },
    },
  ],
};

const feed = [
  { __typename: 'Post', id: 'p1', title: 'Hello' },
  { __typename: 'Ad', id: 'a1' },
];
const likes: Record<string, number> = { p1: 7 };

/** `__typename` at the root, on entities, unions and under aliases, including an alias that is a type's name. */
const typename: ConformanceCase = {
  name: '__typename everywhere',
  covers: ['__typename', 'aliases'],
  subgraphs: [
    {
      name: 'content',
      typeDefs: `${federation(['@key'])}
        type Query { feed: [Entry!]! comments: [Comment!]! }
        union Entry = Post | Ad
        type Post @key(fields: "id") { id: ID! title: String! }
        type Ad { id: ID! }
        type Comment { id: ID! post: Post! }`,
      resolvers: {
        Query: { feed: () => feed, comments: () => [{ id: 'c1', post: feed[0] }] },
        Entry: { __resolveType: (value: any) => value.__typename },
        Post: { __resolveReference: (ref: any) => byId(feed, ref.id) },
      },
    },
    {
      name: 'social',
      typeDefs: `${federation(['@key'])}
        type Post @key(fields: "id") { id: ID! likes: Int! }`,
      resolvers: { Post: { __resolveReference: (ref: any) => ref, likes: (post: any) => likes[post.id] } },
    },
  ],
  operations: [
    {
      name: 'at every level',
      query: '{ __typename feed { __typename ... on Post { __typename id likes } } }',
      expected: { data: { __typename: 'Query', feed: [{ __typename: 'Post', id: 'p1', likes: 7 }, { __typename: 'Ad' }] } },
    },
    {
      name: 'under aliases',
      query: '{ feed { kind: __typename ... on Post { again: __typename likes } } }',
      expected: { data: { feed: [{ kind: 'Post', again: 'Post', likes: 7 }, { kind: 'Ad' }] } },
    },
    {
      name: 'an alias that is a type’s name, over an entity call',
      query: '{ comments { Post: post { likes title } } }',
      expected: { data: { comments: [{ Post: { likes: 7, title: 'Hello' } }] } },
    },
  ],
};

/** A subgraph that declares a subscription: no Node gateway runs one over HTTP POST. */
const subscription: ConformanceCase = {
  name: 'subscription',
  covers: ['Subscription root'],
  subgraphs: [
    {
      name: 'clock',
      typeDefs: `${federation([])}
        type Query { now: String! }
        type Subscription { ticks: Int! }`,
      resolvers: {
        Query: { now: () => '2024-01-01T00:00:00Z' },
        Subscription: {
          ticks: {
            subscribe: async function* () {
              yield { ticks: 1 };
            },
          },
        },
      },
    },
  ],
  operations: [
    { name: 'a query on the same supergraph', query: '{ now }', expected: { data: { now: '2024-01-01T00:00:00Z' } } },
    {
      name: 'a subscription',
      query: 'subscription { ticks }',
      expected: { refused: 'SUBSCRIPTIONS_NOT_SUPPORTED', status: 400, message: /subscriptions/i },
      stock: {
        why: 'the gateway plans the subscription, then its executor throws: an internal error (HTTP 500)',
        refused: 'INTERNAL_SERVER_ERROR',
        status: 500,
        message: /./,
      },
    },
  ],
};

export const executionCases: ConformanceCase[] = [nullEntities, failingEntities, skipInclude, mutationsInOrder, typename, subscription];
