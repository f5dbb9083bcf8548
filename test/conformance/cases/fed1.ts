import type { ConformanceCase } from '../harness';

/** The directives and scalar every Fed 1 supergraph (core v0.1, join v0.1) declares. */
const FED1_HEADER = `
schema
  @core(feature: "https://specs.apollo.dev/core/v0.1"),
  @core(feature: "https://specs.apollo.dev/join/v0.1")
{
  query: Query
}

directive @core(feature: String!) repeatable on SCHEMA

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet) on FIELD_DEFINITION

directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on OBJECT | INTERFACE

directive @join__owner(graph: join__Graph!) on OBJECT | INTERFACE

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

scalar join__FieldSet
`;

const users = [
  { id: 'u1', name: 'Ada', username: 'ada' },
  { id: 'u2', name: 'Alan', username: 'alan' },
];
const products = [
  { upc: '1', name: 'Table', price: 899, weight: 100 },
  { upc: '2', name: 'Couch', price: 1299, weight: 1000 },
  { upc: '3', name: 'Chair', price: 54, weight: 50 },
];
const inStock: Record<string, boolean> = { '1': true, '2': false, '3': true };
const reviews = [
  { id: 'r1', authorId: 'u1', upc: '1', body: 'Love it!' },
  { id: 'r2', authorId: 'u1', upc: '2', body: 'Too expensive.' },
  { id: 'r3', authorId: 'u2', upc: '3', body: 'Could be better.' },
  { id: 'r4', authorId: 'u2', upc: '1', body: 'Prefer something else.' },
];
const reviewOf = (review: (typeof reviews)[number]) => {
  const author = users.find((user) => user.id === review.authorId);
  // What the reviews subgraph provides of its author (@provides(fields: "username")).
  return { ...review, author: { id: review.authorId, username: author?.username }, product: { upc: review.upc } };
};

/** The classic Fed 1 example (entities extended with `extend type`, `@requires`, `@provides`), as a Fed 1 supergraph. */
const fed1Entities: ConformanceCase = {
  name: 'Fed 1 supergraph: entities, @requires, @provides',
  covers: ['Fed 1 (core v0.1, join v0.1)', 'extend type', '@requires', '@provides'],
  subgraphs: [
    {
      name: 'accounts',
      typeDefs: `
        type Query { me: User }
        type User @key(fields: "id") { id: ID! name: String username: String }`,
      resolvers: {
        Query: { me: () => users[0] },
        User: { __resolveReference: (ref: any) => users.find((user) => user.id === ref.id) ?? null },
      },
    },
    {
      name: 'products',
      typeDefs: `
        type Query { topProducts(first: Int = 5): [Product] }
        type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,
      resolvers: {
        Query: { topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, first) },
        Product: { __resolveReference: (ref: any) => products.find((product) => product.upc === ref.upc) ?? null },
      },
    },
    {
      name: 'reviews',
      typeDefs: `
        type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
        extend type User @key(fields: "id") { id: ID! @external username: String @external reviews: [Review] }
        extend type Product @key(fields: "upc") { upc: String! @external reviews: [Review] }`,
      resolvers: {
        Review: { __resolveReference: (ref: any) => reviews.map(reviewOf).find((review) => review.id === ref.id) ?? null },
        User: { reviews: (user: any) => reviews.filter((review) => review.authorId === user.id).map(reviewOf) },
        Product: { reviews: (product: any) => reviews.filter((review) => review.upc === product.upc).map(reviewOf) },
      },
    },
    {
      name: 'inventory',
      typeDefs: `
        extend type Product @key(fields: "upc") {
          upc: String! @external
          weight: Int @external
          price: Int @external
          inStock: Boolean
          shippingEstimate: Int @requires(fields: "price weight")
        }`,
      resolvers: {
        Product: {
          __resolveReference: (ref: any) => ref,
          inStock: (product: any) => inStock[product.upc],
          shippingEstimate: (product: any) => (product.price > 1000 ? 0 : product.weight / 2),
        },
      },
    },
  ],
  fed1Supergraph: `${FED1_HEADER}
enum join__Graph {
  ACCOUNTS @join__graph(name: "accounts" url: "{{url:accounts}}")
  INVENTORY @join__graph(name: "inventory" url: "{{url:inventory}}")
  PRODUCTS @join__graph(name: "products" url: "{{url:products}}")
  REVIEWS @join__graph(name: "reviews" url: "{{url:reviews}}")
}

type Product
  @join__owner(graph: PRODUCTS)
  @join__type(graph: PRODUCTS, key: "upc")
  @join__type(graph: INVENTORY, key: "upc")
  @join__type(graph: REVIEWS, key: "upc")
{
  upc: String! @join__field(graph: PRODUCTS)
  name: String @join__field(graph: PRODUCTS)
  price: Int @join__field(graph: PRODUCTS)
  weight: Int @join__field(graph: PRODUCTS)
  inStock: Boolean @join__field(graph: INVENTORY)
  shippingEstimate: Int @join__field(graph: INVENTORY, requires: "price weight")
  reviews: [Review] @join__field(graph: REVIEWS)
}

type Query {
  me: User @join__field(graph: ACCOUNTS)
  topProducts(first: Int = 5): [Product] @join__field(graph: PRODUCTS)
}

type Review
  @join__owner(graph: REVIEWS)
  @join__type(graph: REVIEWS, key: "id")
{
  id: ID! @join__field(graph: REVIEWS)
  body: String @join__field(graph: REVIEWS)
  author: User @join__field(graph: REVIEWS, provides: "username")
  product: Product @join__field(graph: REVIEWS)
}

type User
  @join__owner(graph: ACCOUNTS)
  @join__type(graph: ACCOUNTS, key: "id")
  @join__type(graph: REVIEWS, key: "id")
{
  id: ID! @join__field(graph: ACCOUNTS)
  name: String @join__field(graph: ACCOUNTS)
  username: String @join__field(graph: ACCOUNTS)
  reviews: [Review] @join__field(graph: REVIEWS)
}
`,
  operations: [
    {
      name: 'every subgraph, @requires and @provides',
      query: '{ topProducts { upc name inStock shippingEstimate reviews { body author { username name } } } }',
      expected: {
        data: {
          topProducts: [
            {
              upc: '1',
              name: 'Table',
              inStock: true,
              shippingEstimate: 50,
              reviews: [
                { body: 'Love it!', author: { username: 'ada', name: 'Ada' } },
                { body: 'Prefer something else.', author: { username: 'alan', name: 'Alan' } },
              ],
            },
            {
              upc: '2',
              name: 'Couch',
              inStock: false,
              shippingEstimate: 0,
              reviews: [{ body: 'Too expensive.', author: { username: 'ada', name: 'Ada' } }],
            },
            {
              upc: '3',
              name: 'Chair',
              inStock: true,
              shippingEstimate: 25,
              reviews: [{ body: 'Could be better.', author: { username: 'alan', name: 'Alan' } }],
            },
          ],
        },
      },
    },
    {
      name: 'from an extended entity back to its owner',
      query: '{ me { name reviews { product { name price } } } }',
      expected: {
        data: {
          me: {
            name: 'Ada',
            reviews: [{ product: { name: 'Table', price: 899 } }, { product: { name: 'Couch', price: 1299 } }],
          },
        },
      },
    },
    {
      name: 'an argument with a default',
      query: '{ topProducts(first: 1) { name } }',
      expected: { data: { topProducts: [{ name: 'Table' }] } },
    },
  ],
};

const items = [
  { __typename: 'Book', id: 'b1', title: 'Dune', money: { amount: 20, currency: 'EUR' } },
  { __typename: 'Film', id: 'f1', title: 'Alien', money: { amount: 12, currency: 'EUR' } },
];

/** A Fed 1 supergraph with an interface and a value type that two subgraphs both define. */
const fed1ValueTypes: ConformanceCase = {
  name: 'Fed 1 supergraph: interfaces and value types',
  covers: ['Fed 1 value types', 'Fed 1 interfaces'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `
        type Query { items: [Item] }
        interface Item { id: ID! title: String }
        type Book implements Item @key(fields: "id") { id: ID! title: String money: Money }
        type Film implements Item @key(fields: "id") { id: ID! title: String money: Money }
        type Money { amount: Int currency: String }`,
      resolvers: {
        Query: { items: () => items },
        Item: { __resolveType: (value: any) => value.__typename },
        Book: { __resolveReference: (ref: any) => items.find((item) => item.id === ref.id) ?? null },
        Film: { __resolveReference: (ref: any) => items.find((item) => item.id === ref.id) ?? null },
      },
    },
    {
      name: 'prices',
      typeDefs: `
        extend type Book @key(fields: "id") { id: ID! @external discount: Money }
        type Money { amount: Int currency: String }`,
      resolvers: { Book: { discount: () => ({ amount: 2, currency: 'EUR' }) } },
    },
  ],
  fed1Supergraph: `${FED1_HEADER}
enum join__Graph {
  CATALOG @join__graph(name: "catalog" url: "{{url:catalog}}")
  PRICES @join__graph(name: "prices" url: "{{url:prices}}")
}

type Book implements Item
  @join__owner(graph: CATALOG)
  @join__type(graph: CATALOG, key: "id")
  @join__type(graph: PRICES, key: "id")
{
  id: ID! @join__field(graph: CATALOG)
  title: String @join__field(graph: CATALOG)
  money: Money @join__field(graph: CATALOG)
  discount: Money @join__field(graph: PRICES)
}

type Film implements Item
  @join__owner(graph: CATALOG)
  @join__type(graph: CATALOG, key: "id")
{
  id: ID! @join__field(graph: CATALOG)
  title: String @join__field(graph: CATALOG)
  money: Money @join__field(graph: CATALOG)
}

interface Item {
  id: ID!
  title: String
}

type Money {
  amount: Int
  currency: String
}

type Query {
  items: [Item] @join__field(graph: CATALOG)
}
`,
  operations: [
    {
      name: 'interface, value type, and an extension’s field',
      query:
        '{ items { __typename id title ... on Book { money { amount currency } discount { amount } } ... on Film { money { amount } } } }',
      expected: {
        data: {
          items: [
            { __typename: 'Book', id: 'b1', title: 'Dune', money: { amount: 20, currency: 'EUR' }, discount: { amount: 2 } },
            { __typename: 'Film', id: 'f1', title: 'Alien', money: { amount: 12 } },
          ],
        },
      },
    },
  ],
};

export const fed1Cases: ConformanceCase[] = [fed1Entities, fed1ValueTypes];
