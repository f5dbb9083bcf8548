import { type ConformanceCase, federation } from '../harness';

const products = [
  { upc: '1', name: 'Table' },
  { upc: '2', name: 'Couch' },
  { upc: '3', name: 'Chair' },
];
const users = [
  { id: 'u1', name: 'Ada' },
  { id: 'u2', name: 'Alan' },
];
const reviews = [
  { id: 'r1', upc: '1', authorId: 'u1', body: 'Love it!' },
  { id: 'r2', upc: '2', authorId: 'u1', body: 'Too expensive.' },
  { id: 'r3', upc: '1', authorId: 'u2', body: 'Wobbly.' },
];
const reviewOf = (review: (typeof reviews)[number]) => ({ ...review, author: { id: review.authorId }, product: { upc: review.upc } });

/**
 * Apollo's demo supergraph as other teams compose it, with no cost annotation at all: what demand control
 * must price by the operation's own `first` (see test/e2e/anySupergraph.test.ts).
 */
export const demoCase: ConformanceCase = {
  name: 'a supergraph without @listSize',
  covers: ['no cost annotations', 'slicing argument inferred'],
  subgraphs: [
    {
      name: 'products',
      typeDefs: `${federation(['@key'])}
        type Query { topProducts(first: Int = 5): [Product] }
        type Product @key(fields: "upc") { upc: String! name: String }`,
      resolvers: {
        Query: { topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, first) },
        Product: { __resolveReference: (ref: any) => products.find((product) => product.upc === ref.upc) ?? null },
      },
    },
    {
      name: 'reviews',
      typeDefs: `${federation(['@key'])}
        type Product @key(fields: "upc") { upc: String! reviews: [Review] }
        type Review @key(fields: "id") { id: ID! body: String author: User product: Product }
        type User @key(fields: "id") { id: ID! reviews: [Review] }`,
      resolvers: {
        Product: { reviews: (product: any) => reviews.filter((review) => review.upc === product.upc).map(reviewOf) },
        Review: { __resolveReference: (ref: any) => reviews.map(reviewOf).find((review) => review.id === ref.id) ?? null },
        User: { reviews: (user: any) => reviews.filter((review) => review.authorId === user.id).map(reviewOf) },
      },
    },
    {
      name: 'accounts',
      typeDefs: `${federation(['@key'])}
        type User @key(fields: "id") { id: ID! name: String }`,
      resolvers: { User: { __resolveReference: (ref: any) => users.find((user) => user.id === ref.id) ?? null } },
    },
  ],
  operations: [
    {
      name: 'two levels of entities',
      query: '{ topProducts(first: 2) { name reviews { body author { name } } } }',
      expected: {
        data: {
          topProducts: [
            {
              name: 'Table',
              reviews: [
                { body: 'Love it!', author: { name: 'Ada' } },
                { body: 'Wobbly.', author: { name: 'Alan' } },
              ],
            },
            { name: 'Couch', reviews: [{ body: 'Too expensive.', author: { name: 'Ada' } }] },
          ],
        },
      },
    },
  ],
};
