import { byId, type ConformanceCase, federation } from '../harness';

const products = [
  { id: 'p1', name: 'Kettle' },
  { id: 'p2', name: 'Toaster' },
];
const deals = [{ id: 'p2', name: 'Toaster' }];

/** A field, a value type and a root field that two subgraphs both resolve. */
const shareable: ConformanceCase = {
  name: '@shareable',
  covers: ['@shareable fields', '@shareable root field', '@shareable value type'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Query { products: [Product!]! site: Site! @shareable }
        type Product @key(fields: "id") { id: ID! name: String! @shareable }
        type Site @shareable { name: String! region: String! }`,
      resolvers: {
        Query: { products: () => products, site: () => ({ name: 'Shop', region: 'eu' }) },
        Product: { __resolveReference: (ref: any) => byId(products, ref.id) },
      },
    },
    {
      name: 'deals',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Query { deals: [Product!]! site: Site! @shareable }
        type Product @key(fields: "id") { id: ID! name: String! @shareable discount: Int! }
        type Site @shareable { name: String! region: String! }`,
      resolvers: {
        Query: { deals: () => deals, site: () => ({ name: 'Shop', region: 'eu' }) },
        Product: { __resolveReference: (ref: any) => ({ id: ref.id, name: byId(products, ref.id)?.name }), discount: () => 15 },
      },
    },
  ],
  operations: [
    { name: 'a shared root field', query: '{ site { name region } }', expected: { data: { site: { name: 'Shop', region: 'eu' } } } },
    {
      name: 'a shared field from either side',
      query: '{ deals { name discount } products { name discount } }',
      expected: {
        data: {
          deals: [{ name: 'Toaster', discount: 15 }],
          products: [
            { name: 'Kettle', discount: 15 },
            { name: 'Toaster', discount: 15 },
          ],
        },
      },
    },
  ],
};

const stock = [
  { id: 'p1', name: 'Kettle' },
  { id: 'p2', name: 'Toaster' },
];
/** Values the old owner still returns, different from the new owner's, so that the answers show who served. */
const staleInStock: Record<string, boolean> = { p1: true, p2: true };
const freshInStock: Record<string, boolean> = { p1: false, p2: true };
const staleRating: Record<string, number> = { p1: 1, p2: 1 };
const freshRating: Record<string, number> = { p1: 4, p2: 5 };

/** `@override(from:)`: the field moves to the overriding subgraph. */
const overridePlain: ConformanceCase = {
  name: '@override',
  covers: ['@override'],
  subgraphs: [
    {
      name: 'products',
      typeDefs: `${federation(['@key'])}
        type Query { products: [Product!]! }
        type Product @key(fields: "id") { id: ID! name: String! inStock: Boolean! }`,
      resolvers: {
        Query: { products: () => stock },
        Product: { __resolveReference: (ref: any) => byId(stock, ref.id), inStock: (product: any) => staleInStock[product.id] },
      },
    },
    {
      name: 'inventory',
      typeDefs: `${federation(['@key', '@override'])}
        type Product @key(fields: "id") { id: ID! inStock: Boolean! @override(from: "products") }`,
      resolvers: { Product: { __resolveReference: (ref: any) => ref, inStock: (product: any) => freshInStock[product.id] } },
    },
  ],
  operations: [
    {
      name: 'the overridden field comes from the new owner',
      query: '{ products { name inStock } }',
      expected: {
        data: {
          products: [
            { name: 'Kettle', inStock: false },
            { name: 'Toaster', inStock: true },
          ],
        },
      },
    },
  ],
};

/** What the old owner answers for `inStock`. */
const fromTheOldOwner = {
  products: [
    { name: 'Kettle', inStock: true },
    { name: 'Toaster', inStock: true },
  ],
};

/**
 * Progressive `@override(label:)`. A `percent(100)` label moves every request; a named label is off unless
 * the router is told otherwise (Apollo's spec: custom labels default to off).
 */
const overrideWithLabel: ConformanceCase = {
  name: '@override with label',
  covers: ['@override(label: "percent(N)")', '@override(label: name)'],
  subgraphs: [
    {
      name: 'products',
      typeDefs: `${federation(['@key'])}
        type Query { products: [Product!]! }
        type Product @key(fields: "id") { id: ID! name: String! inStock: Boolean! rating: Int! }`,
      resolvers: {
        Query: { products: () => stock },
        Product: {
          __resolveReference: (ref: any) => byId(stock, ref.id),
          inStock: (product: any) => staleInStock[product.id],
          rating: (product: any) => staleRating[product.id],
        },
      },
    },
    {
      name: 'inventory',
      typeDefs: `${federation(['@key', '@override'], '2.9')}
        type Product @key(fields: "id") {
          id: ID!
          inStock: Boolean! @override(from: "products", label: "percent(100)")
          rating: Int! @override(from: "products", label: "reviews-v2")
        }`,
      resolvers: {
        Product: {
          __resolveReference: (ref: any) => ref,
          inStock: (product: any) => freshInStock[product.id],
          rating: (product: any) => freshRating[product.id],
        },
      },
    },
  ],
  operations: [
    {
      name: 'percent(100): every request goes to the new owner',
      query: '{ products { name inStock } }',
      expected: {
        data: {
          products: [
            { name: 'Kettle', inStock: false },
            { name: 'Toaster', inStock: true },
          ],
        },
      },
      stock: { why: 'the gateway plans every override label as off: percent(100) never moves a request', data: fromTheOldOwner },
    },
    {
      name: 'a named label no one turned on stays with the old owner',
      query: '{ products { name rating } }',
      expected: {
        data: {
          products: [
            { name: 'Kettle', rating: 1 },
            { name: 'Toaster', rating: 1 },
          ],
        },
      },
    },
  ],
};

export const ownershipCases: ConformanceCase[] = [shareable, overridePlain, overrideWithLabel];
