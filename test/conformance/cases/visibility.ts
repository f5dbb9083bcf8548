import { byId, type ConformanceCase, federation } from '../harness';

const products = [
  { id: 'p1', name: 'Desk', cost: 40, status: 'ACTIVE' },
  { id: 'p2', name: 'Lamp', cost: 10, status: 'RETIRED' },
];

/** `@inaccessible` on a field, a type, an enum value and an argument: gone from the API, still usable inside. */
const inaccessible: ConformanceCase = {
  name: '@inaccessible',
  covers: ['@inaccessible fields, types, enum values, arguments', '@requires of an inaccessible field'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `${federation(['@key', '@inaccessible'])}
        type Query {
          products: [Product!]!
          search(term: String!, debug: Boolean @inaccessible): [Product!]!
          internalStats: Stats! @inaccessible
        }
        type Product @key(fields: "id") { id: ID! name: String! cost: Int! @inaccessible status: Status }
        type Stats @inaccessible { count: Int! }
        enum Status { ACTIVE RETIRED @inaccessible }`,
      resolvers: {
        Query: {
          products: () => products,
          search: (_: unknown, { term }: { term: string }) => products.filter((product) => product.name.includes(term)),
          internalStats: () => ({ count: products.length }),
        },
        Product: { __resolveReference: (ref: any) => byId(products, ref.id) },
      },
    },
    {
      name: 'pricing',
      typeDefs: `${federation(['@key', '@external', '@requires'])}
        type Product @key(fields: "id") { id: ID! cost: Int! @external price: Int! @requires(fields: "cost") }`,
      resolvers: { Product: { __resolveReference: (ref: any) => ref, price: (product: any) => product.cost * 2 } },
    },
  ],
  operations: [
    {
      name: 'a field that requires an inaccessible one',
      query: '{ products { name price } }',
      expected: {
        data: {
          products: [
            { name: 'Desk', price: 80 },
            { name: 'Lamp', price: 20 },
          ],
        },
      },
    },
    {
      name: 'an inaccessible field',
      query: '{ products { cost } }',
      expected: { errors: [{ message: 'Cannot query field "cost" on type "Product".' }] },
    },
    {
      name: 'an inaccessible argument',
      query: '{ search(term: "D", debug: true) { name } }',
      expected: { errors: [{ message: 'Unknown argument "debug" on field "Query.search".' }] },
    },
    {
      name: 'without the inaccessible argument',
      query: '{ search(term: "D") { name } }',
      expected: { data: { search: [{ name: 'Desk' }] } },
    },
    {
      name: 'a field of an inaccessible type',
      query: '{ internalStats { count } }',
      expected: { errors: [{ message: 'Cannot query field "internalStats" on type "Query".' }] },
    },
    {
      // Null without an error: the API must not reveal the hidden value, and an error would name it.
      name: 'an inaccessible enum value in a response',
      query: '{ products { name status } }',
      expected: {
        data: {
          products: [
            { name: 'Desk', status: 'ACTIVE' },
            { name: 'Lamp', status: null },
          ],
        },
      },
    },
  ],
};

const catalog = [
  { id: 'p1', name: 'Desk', tier: 'GOLD' },
  { id: 'p2', name: 'Lamp', tier: 'BASIC' },
];

/** `@tag` everywhere it may go: composed into the supergraph, no effect on execution. */
const tag: ConformanceCase = {
  name: '@tag',
  covers: ['@tag'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `${federation(['@key', '@tag'])}
        type Query @tag(name: "public") { products(first: Int @tag(name: "paging")): [Product!]! @tag(name: "public") }
        type Product @key(fields: "id") @tag(name: "public") { id: ID! name: String! @tag(name: "public") tier: Tier! }
        enum Tier @tag(name: "internal") { GOLD @tag(name: "internal") BASIC }`,
      resolvers: {
        Query: { products: (_: unknown, { first }: { first?: number }) => catalog.slice(0, first ?? catalog.length) },
        Product: { __resolveReference: (ref: any) => byId(catalog, ref.id) },
      },
    },
    {
      name: 'stock',
      typeDefs: `${federation(['@key', '@tag'])}
        type Product @key(fields: "id") { id: ID! quantity: Int! @tag(name: "public") }`,
      resolvers: { Product: { __resolveReference: (ref: any) => ref, quantity: (product: any) => (product.id === 'p1' ? 3 : 0) } },
    },
  ],
  operations: [
    {
      name: 'tagged fields and arguments',
      query: '{ products(first: 2) { name tier quantity } }',
      expected: {
        data: {
          products: [
            { name: 'Desk', tier: 'GOLD', quantity: 3 },
            { name: 'Lamp', tier: 'BASIC', quantity: 0 },
          ],
        },
      },
    },
  ],
};

const invoices = [
  { id: 'i1', amount: 120 },
  { id: 'i2', amount: 80 },
];

/** A custom directive composed in with `@composeDirective`: its `@link` reaches the supergraph, and is served. */
const composeDirective: ConformanceCase = {
  name: '@composeDirective',
  covers: ['@composeDirective custom link'],
  subgraphs: [
    {
      name: 'billing',
      typeDefs: `extend schema
          @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@composeDirective"])
          @link(url: "https://example.com/audit/v1.0", import: ["@audited"])
          @composeDirective(name: "@audited")
        directive @audited(reason: String!) on FIELD_DEFINITION | OBJECT
        type Query { invoices: [Invoice!]! }
        type Invoice @key(fields: "id") @audited(reason: "finance") { id: ID! amount: Int! @audited(reason: "money") }`,
      resolvers: { Query: { invoices: () => invoices }, Invoice: { __resolveReference: (ref: any) => byId(invoices, ref.id) } },
    },
    {
      name: 'payments',
      typeDefs: `${federation(['@key'])}
        type Invoice @key(fields: "id") { id: ID! paid: Boolean! }`,
      resolvers: { Invoice: { __resolveReference: (ref: any) => ref, paid: (invoice: any) => invoice.id === 'i1' } },
    },
  ],
  operations: [
    {
      name: 'fields under the custom directive',
      query: '{ invoices { id amount paid } }',
      expected: {
        data: {
          invoices: [
            { id: 'i1', amount: 120, paid: true },
            { id: 'i2', amount: 80, paid: false },
          ],
        },
      },
    },
  ],
};

/** `@context`/`@fromContext`: composition links the context spec for SECURITY; no Node gateway executes it. */
const contextRefused: ConformanceCase = {
  name: '@context and @fromContext',
  covers: ['@context', '@fromContext'],
  subgraphs: [
    {
      name: 'shop',
      typeDefs: `${federation(['@key', '@context', '@fromContext'])}
        type Query { user: User! }
        type User @key(fields: "id") @context(name: "userContext") { id: ID! currency: String! cart: Cart! }
        type Cart @key(fields: "id") { id: ID! total(currency: String @fromContext(field: "$userContext { currency }")): String! }`,
      resolvers: {
        Query: { user: () => ({ id: 'u1', currency: 'EUR', cart: { id: 'c1' } }) },
        Cart: { total: (_: unknown, { currency }: { currency?: string }) => `12.00 ${currency}` },
      },
    },
  ],
  refusedSupergraph: {
    stock: /context\/v0\.1 is for: SECURITY but is unsupported/,
    ours: /@context\/@fromContext.*@apollo\/gateway does not execute/,
    why: 'the gateway’s planner does not pass @fromContext values: serving it would answer without them',
  },
  operations: [],
};

/** `@policy`: an access rule a coprocessor must enforce; nobody here does, so neither gateway serves it. */
const policyRefused: ConformanceCase = {
  name: '@policy',
  covers: ['@policy'],
  subgraphs: [
    {
      name: 'admin',
      typeDefs: `${federation(['@key', '@policy'])}
        type Query { auditLog: [String!]! @policy(policies: [["admin"]]) }`,
      resolvers: { Query: { auditLog: () => ['login'] } },
    },
  ],
  refusedSupergraph: {
    stock: /policy\/v0\.1 is for: SECURITY but is unsupported/,
    ours: /@policy.*nobody here enforces/,
    why: 'serving it would drop an access rule its authors relied on',
  },
  operations: [],
};

const accounts = [{ id: 'u1', name: 'Ada', email: 'ada@example.com' }];

/** `@authenticated`/`@requiresScopes`: stock refuses them (it cannot enforce them); the router enforces them. */
const authenticated: ConformanceCase = {
  name: '@authenticated and @requiresScopes',
  covers: ['@authenticated', '@requiresScopes'],
  subgraphs: [
    {
      name: 'accounts',
      typeDefs: `${federation(['@key', '@authenticated', '@requiresScopes'])}
        type Query { users: [User!]! }
        type User @key(fields: "id") { id: ID! name: String! email: String! @authenticated @requiresScopes(scopes: [["users:read"]]) }`,
      resolvers: { Query: { users: () => accounts }, User: { __resolveReference: (ref: any) => byId(accounts, ref.id) } },
    },
  ],
  refusedSupergraph: {
    stock: /authenticated\/v0\.1 is for: SECURITY but is unsupported/,
    why: 'stock cannot enforce @authenticated and refuses it; the router enforces both (see test/unit/authorization.test.ts)',
  },
  operations: [{ name: 'public fields', query: '{ users { id name } }', expected: { data: { users: [{ id: 'u1', name: 'Ada' }] } } }],
};

export const visibilityCases: ConformanceCase[] = [inaccessible, tag, composeDirective, contextRefused, policyRefused, authenticated];
