import { byId, type ConformanceCase, federation } from '../harness';

const parcels = [
  { id: 'p1', name: 'Vase', weight: 3, size: { width: 2, height: 5 } },
  { id: 'p2', name: 'Anvil', weight: 10, size: { width: 1, height: 1 } },
];

/** `@requires` of scalars and of a nested object's fields. */
const requiresNested: ConformanceCase = {
  name: '@requires nested',
  covers: ['@requires nested', '@external'],
  subgraphs: [
    {
      name: 'products',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Query { products: [Product!]! }
        type Product @key(fields: "id") { id: ID! name: String! weight: Int! size: Size! }
        type Size @shareable { width: Int! height: Int! }`,
      resolvers: { Query: { products: () => parcels }, Product: { __resolveReference: (ref: any) => byId(parcels, ref.id) } },
    },
    {
      name: 'shipping',
      typeDefs: `${federation(['@key', '@shareable', '@external', '@requires'])}
        type Product @key(fields: "id") {
          id: ID!
          weight: Int! @external
          size: Size! @external
          shippingCost: Int! @requires(fields: "weight size { width height }")
        }
        type Size @shareable { width: Int! height: Int! }`,
      resolvers: {
        Product: {
          __resolveReference: (ref: any) => ref,
          shippingCost: (product: any) => product.weight * 2 + product.size.width * product.size.height,
        },
      },
    },
  ],
  operations: [
    {
      name: 'the requiring field alone',
      query: '{ products { name shippingCost } }',
      expected: {
        data: {
          products: [
            { name: 'Vase', shippingCost: 16 },
            { name: 'Anvil', shippingCost: 21 },
          ],
        },
      },
    },
    {
      name: 'with a required field selected too',
      query: '{ products { shippingCost weight size { height } } }',
      expected: {
        data: {
          products: [
            { shippingCost: 16, weight: 3, size: { height: 5 } },
            { shippingCost: 21, weight: 10, size: { height: 1 } },
          ],
        },
      },
    },
  ],
};

const parcelsWithPackaging = [
  { id: 'p1', packaging: { __typename: 'Box', id: 'k1', volume: 8 } },
  { id: 'p2', packaging: { __typename: 'Tube', id: 'k2', length: 30 } },
];
const packagingTypes = `
  interface Packaging { id: ID! }
  type Box implements Packaging @shareable { id: ID! volume: Int! }
  type Tube implements Packaging @shareable { id: ID! length: Int! }`;

/** `@requires` of an interface-typed field, with a fragment per implementation. */
const requiresWithFragments: ConformanceCase = {
  name: '@requires with fragments',
  covers: ['@requires with fragments', '@requires on an interface-typed field'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Query { parcels: [Parcel!]! }
        type Parcel @key(fields: "id") { id: ID! packaging: Packaging! }
        ${packagingTypes}`,
      resolvers: {
        Query: { parcels: () => parcelsWithPackaging },
        Parcel: { __resolveReference: (ref: any) => byId(parcelsWithPackaging, ref.id) },
        Packaging: { __resolveType: (value: any) => value.__typename },
      },
    },
    {
      name: 'shipping',
      typeDefs: `${federation(['@key', '@shareable', '@external', '@requires'])}
        type Parcel @key(fields: "id") {
          id: ID!
          packaging: Packaging! @external
          fee: Int! @requires(fields: "packaging { __typename ... on Box { volume } ... on Tube { length } }")
        }
        ${packagingTypes}`,
      resolvers: {
        Parcel: {
          __resolveReference: (ref: any) => ref,
          fee: (parcel: any) => (parcel.packaging.__typename === 'Box' ? parcel.packaging.volume * 2 : parcel.packaging.length + 1),
        },
        Packaging: { __resolveType: (value: any) => value.__typename },
      },
    },
  ],
  operations: [
    {
      name: 'fee per implementation',
      query: '{ parcels { id fee } }',
      expected: {
        data: {
          parcels: [
            { id: 'p1', fee: 16 },
            { id: 'p2', fee: 31 },
          ],
        },
      },
    },
    {
      name: 'fee beside the client’s own fragments',
      query: '{ parcels { fee packaging { __typename ... on Box { id } ... on Tube { length } } } }',
      expected: {
        data: {
          parcels: [
            { fee: 16, packaging: { __typename: 'Box', id: 'k1' } },
            { fee: 31, packaging: { __typename: 'Tube', length: 30 } },
          ],
        },
      },
    },
  ],
};

const feedPosts = [{ id: 'f1' }, { id: 'f2' }];
const comments = [
  { id: 'c1', postId: 'f1', authorId: 'a1' },
  { id: 'c2', postId: 'f1', authorId: 'a2' },
  { id: 'c3', postId: 'f1', authorId: 'a3' },
  { id: 'c4', postId: 'f2', authorId: 'a2' },
];
const commentsOf = (post: { id: string }, limit: number) => comments.filter((comment) => comment.postId === post.id).slice(0, limit);
const lastThreeWhy =
  'the planner merges the operation’s Post.comments with the one @requires(fields: "comments(limit: 3) …") needs: one subgraph call serves both with one set of arguments, so either the client gets three comments or the required field is computed from one';

/**
 * `@requires` of a field with arguments. Where the operation selects the same field with other arguments,
 * the stock planner merges the two selections (silently wrong data, see `lastThreeWhy`).
 */
const requiresWithArguments: ConformanceCase = {
  name: '@requires on a field with arguments',
  covers: ['@requires on fields with arguments'],
  subgraphs: [
    {
      name: 'feed',
      typeDefs: `${federation(['@key'])}
        type Query { feed: [Post!]! }
        type Post @key(fields: "id") { id: ID! comments(limit: Int!): [Comment!]! }
        type Comment { id: ID! authorId: ID! }`,
      resolvers: {
        Query: { feed: () => feedPosts },
        Post: {
          __resolveReference: (ref: any) => byId(feedPosts, ref.id),
          comments: (post: any, { limit }: { limit: number }) => commentsOf(post, limit),
        },
      },
    },
    {
      name: 'authors',
      typeDefs: `${federation(['@key', '@external', '@requires'])}
        type Post @key(fields: "id") {
          id: ID!
          comments(limit: Int!): [Comment!]! @external
          recentAuthors: String! @requires(fields: "comments(limit: 3) { authorId }")
        }
        type Comment { authorId: ID! @external }`,
      resolvers: {
        Post: {
          __resolveReference: (ref: any) => ref,
          recentAuthors: (post: any) => post.comments.map((comment: any) => comment.authorId).join(','),
        },
      },
    },
  ],
  operations: [
    {
      name: 'the requiring field alone',
      query: '{ feed { id recentAuthors } }',
      expected: {
        data: {
          feed: [
            { id: 'f1', recentAuthors: 'a1,a2,a3' },
            { id: 'f2', recentAuthors: 'a2' },
          ],
        },
      },
    },
    {
      name: 'the same field with the same arguments',
      query: '{ feed { recentAuthors comments(limit: 3) { id } } }',
      expected: {
        data: {
          feed: [
            { recentAuthors: 'a1,a2,a3', comments: [{ id: 'c1' }, { id: 'c2' }, { id: 'c3' }] },
            { recentAuthors: 'a2', comments: [{ id: 'c4' }] },
          ],
        },
      },
    },
    {
      name: 'other arguments, selected before',
      query: '{ feed { comments(limit: 1) { id } recentAuthors } }',
      expected: {
        data: {
          feed: [
            { comments: [{ id: 'c1' }], recentAuthors: 'a1,a2,a3' },
            { comments: [{ id: 'c4' }], recentAuthors: 'a2' },
          ],
        },
      },
      stock: {
        why: lastThreeWhy,
        data: {
          feed: [
            { comments: [{ id: 'c1' }], recentAuthors: 'a1' },
            { comments: [{ id: 'c4' }], recentAuthors: 'a2' },
          ],
        },
      },
    },
    {
      name: 'other arguments, selected after',
      query: '{ feed { recentAuthors comments(limit: 1) { authorId } } }',
      expected: {
        data: {
          feed: [
            { recentAuthors: 'a1,a2,a3', comments: [{ authorId: 'a1' }] },
            { recentAuthors: 'a2', comments: [{ authorId: 'a2' }] },
          ],
        },
      },
      stock: {
        why: lastThreeWhy,
        data: {
          feed: [
            { recentAuthors: 'a1,a2,a3', comments: [{ authorId: 'a1' }, { authorId: 'a2' }, { authorId: 'a3' }] },
            { recentAuthors: 'a2', comments: [{ authorId: 'a2' }] },
          ],
        },
      },
    },
    {
      name: 'other arguments from a variable',
      query: 'query Feed($limit: Int!) { feed { recentAuthors comments(limit: $limit) { id } } }',
      variables: { limit: 1 },
      expected: {
        data: {
          feed: [
            { recentAuthors: 'a1,a2,a3', comments: [{ id: 'c1' }] },
            { recentAuthors: 'a2', comments: [{ id: 'c4' }] },
          ],
        },
      },
      stock: {
        why: lastThreeWhy,
        data: {
          feed: [
            { recentAuthors: 'a1,a2,a3', comments: [{ id: 'c1' }, { id: 'c2' }, { id: 'c3' }] },
            { recentAuthors: 'a2', comments: [{ id: 'c4' }] },
          ],
        },
      },
    },
    {
      name: 'a variable that equals the required arguments',
      query: 'query Feed($limit: Int!) { feed { recentAuthors comments(limit: $limit) { id } } }',
      variables: { limit: 3 },
      expected: {
        data: {
          feed: [
            { recentAuthors: 'a1,a2,a3', comments: [{ id: 'c1' }, { id: 'c2' }, { id: 'c3' }] },
            { recentAuthors: 'a2', comments: [{ id: 'c4' }] },
          ],
        },
      },
    },
    {
      name: 'other arguments under an alias',
      query: '{ feed { latest: comments(limit: 1) { id } recentAuthors } }',
      expected: {
        data: {
          feed: [
            { latest: [{ id: 'c1' }], recentAuthors: 'a1,a2,a3' },
            { latest: [{ id: 'c4' }], recentAuthors: 'a2' },
          ],
        },
      },
    },
  ],
};

const prices = [
  { id: 'p1', price: 100 },
  { id: 'p2', price: 250 },
];

/** A field that requires a field that itself requires a field, each in another subgraph. */
const requiresChain: ConformanceCase = {
  name: '@requires of a @requires',
  covers: ['@requires chained over three subgraphs'],
  subgraphs: [
    {
      name: 'pricing',
      typeDefs: `${federation(['@key'])}
        type Query { products: [Product!]! }
        type Product @key(fields: "id") { id: ID! price: Int! }`,
      resolvers: { Query: { products: () => prices }, Product: { __resolveReference: (ref: any) => byId(prices, ref.id) } },
    },
    {
      name: 'tax',
      typeDefs: `${federation(['@key', '@external', '@requires'])}
        type Product @key(fields: "id") { id: ID! price: Int! @external tax: Int! @requires(fields: "price") }`,
      resolvers: { Product: { __resolveReference: (ref: any) => ref, tax: (product: any) => product.price / 5 } },
    },
    {
      name: 'checkout',
      typeDefs: `${federation(['@key', '@external', '@requires'])}
        type Product @key(fields: "id") { id: ID! price: Int! @external tax: Int! @external total: Int! @requires(fields: "price tax") }`,
      resolvers: { Product: { __resolveReference: (ref: any) => ref, total: (product: any) => product.price + product.tax } },
    },
  ],
  operations: [
    {
      name: 'the last of the chain',
      query: '{ products { total } }',
      expected: { data: { products: [{ total: 120 }, { total: 300 }] } },
    },
    {
      name: 'every step',
      query: '{ products { id price tax total } }',
      expected: {
        data: {
          products: [
            { id: 'p1', price: 100, tax: 20, total: 120 },
            { id: 'p2', price: 250, tax: 50, total: 300 },
          ],
        },
      },
    },
  ],
};

export const requiresCases: ConformanceCase[] = [requiresNested, requiresWithFragments, requiresWithArguments, requiresChain];
