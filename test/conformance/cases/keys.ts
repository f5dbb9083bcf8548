import { byId, type ConformanceCase, federation } from '../harness';

const stockItems = [
  { sku: 'A1', warehouse: { code: 'BER' }, quantity: 5 },
  { sku: 'A1', warehouse: { code: 'PAR' }, quantity: 0 },
  { sku: 'B2', warehouse: { code: 'BER' }, quantity: 7 },
];
const prices: Record<string, number> = { 'A1/BER': 100, 'A1/PAR': 120, 'B2/BER': 300 };
const stockItemOf = (ref: { sku: string; warehouse: { code: string } }) =>
  stockItems.find((item) => item.sku === ref.sku && item.warehouse.code === ref.warehouse.code) ?? null;

/** An entity keyed by a scalar and a nested object, resolved by both subgraphs through that key. */
const compoundKey: ConformanceCase = {
  name: 'compound key',
  covers: ['@key compound, nested'],
  subgraphs: [
    {
      name: 'inventory',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Query { stockItems: [StockItem!]! }
        type StockItem @key(fields: "sku warehouse { code }") { sku: String! warehouse: Warehouse! quantity: Int! }
        type Warehouse @shareable { code: String! }`,
      resolvers: {
        Query: { stockItems: () => stockItems },
        StockItem: { __resolveReference: stockItemOf },
      },
    },
    {
      name: 'pricing',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Query { cheapest: StockItem }
        type StockItem @key(fields: "sku warehouse { code }") { sku: String! warehouse: Warehouse! price: Int! }
        type Warehouse @shareable { code: String! }`,
      resolvers: {
        Query: { cheapest: () => ({ sku: 'A1', warehouse: { code: 'BER' } }) },
        StockItem: {
          __resolveReference: (ref: any) => ({ sku: ref.sku, warehouse: ref.warehouse }),
          price: (item: any) => prices[`${item.sku}/${item.warehouse.code}`],
        },
      },
    },
  ],
  operations: [
    {
      name: 'fields of both subgraphs',
      query: '{ stockItems { sku warehouse { code } quantity price } }',
      expected: {
        data: {
          stockItems: [
            { sku: 'A1', warehouse: { code: 'BER' }, quantity: 5, price: 100 },
            { sku: 'A1', warehouse: { code: 'PAR' }, quantity: 0, price: 120 },
            { sku: 'B2', warehouse: { code: 'BER' }, quantity: 7, price: 300 },
          ],
        },
      },
    },
    {
      name: 'only the other subgraph’s field (key fetched unasked)',
      query: '{ stockItems { price } }',
      expected: { data: { stockItems: [{ price: 100 }, { price: 120 }, { price: 300 }] } },
    },
    {
      name: 'from the second subgraph back to the first',
      query: '{ cheapest { sku quantity price } }',
      expected: { data: { cheapest: { sku: 'A1', quantity: 5, price: 100 } } },
    },
  ],
};

const catalog = [
  { id: '1', sku: 'SKU-1', name: 'Desk' },
  { id: '2', sku: 'SKU-2', name: 'Lamp' },
];
const reviewCounts: Record<string, number> = { 'SKU-1': 3, 'SKU-2': 0 };
const shippingDays: Record<string, number> = { '1': 2, '2': 5 };

/** Two keys on one entity; the subgraphs each know one, so the planner converts through the one that knows both. */
const multipleKeys: ConformanceCase = {
  name: 'multiple keys',
  covers: ['@key multiple', 'key conversion'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `${federation(['@key'])}
        type Query { products: [Product!]! }
        type Product @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! name: String! }`,
      resolvers: {
        Query: { products: () => catalog },
        Product: { __resolveReference: (ref: any) => catalog.find((p) => p.id === ref.id || p.sku === ref.sku) ?? null },
      },
    },
    {
      name: 'reviews',
      typeDefs: `${federation(['@key'])}
        type Query { topReviewed: [Product!]! }
        type Product @key(fields: "sku") { sku: String! reviewCount: Int! }`,
      resolvers: {
        Query: { topReviewed: () => [{ sku: 'SKU-2' }, { sku: 'SKU-1' }] },
        Product: { __resolveReference: (ref: any) => ({ sku: ref.sku }), reviewCount: (p: any) => reviewCounts[p.sku] },
      },
    },
    {
      name: 'shipping',
      typeDefs: `${federation(['@key'])}
        type Product @key(fields: "id") { id: ID! shippingDays: Int! }`,
      resolvers: {
        Product: { __resolveReference: (ref: any) => ({ id: ref.id }), shippingDays: (p: any) => shippingDays[p.id] },
      },
    },
  ],
  operations: [
    {
      name: 'sku → id through the subgraph with both keys',
      query: '{ topReviewed { sku reviewCount name shippingDays } }',
      expected: {
        data: {
          topReviewed: [
            { sku: 'SKU-2', reviewCount: 0, name: 'Lamp', shippingDays: 5 },
            { sku: 'SKU-1', reviewCount: 3, name: 'Desk', shippingDays: 2 },
          ],
        },
      },
    },
    {
      name: 'each key to its own subgraph',
      query: '{ products { id reviewCount shippingDays } }',
      expected: {
        data: {
          products: [
            { id: '1', reviewCount: 3, shippingDays: 2 },
            { id: '2', reviewCount: 0, shippingDays: 5 },
          ],
        },
      },
    },
  ],
};

const users = [
  { id: 'u1', name: 'Ada' },
  { id: 'u2', name: 'Grace' },
];
const posts = [
  { id: 'p1', title: 'Engines', authorId: 'u1' },
  { id: 'p2', title: 'Compilers', authorId: 'u2' },
];

/** A subgraph that only references an entity (`resolvable: false`): the planner never asks it for one. */
const nonResolvableKey: ConformanceCase = {
  name: 'non-resolvable key',
  covers: ['@key resolvable: false'],
  subgraphs: [
    {
      name: 'accounts',
      typeDefs: `${federation(['@key'])}
        type User @key(fields: "id") { id: ID! name: String! }`,
      resolvers: { User: { __resolveReference: (ref: any) => byId(users, ref.id) } },
    },
    {
      name: 'blog',
      typeDefs: `${federation(['@key'])}
        type Query { posts: [Post!]! }
        type Post { id: ID! title: String! author: User! }
        type User @key(fields: "id", resolvable: false) { id: ID! }`,
      resolvers: { Query: { posts: () => posts.map((post) => ({ ...post, author: { id: post.authorId } })) } },
    },
  ],
  operations: [
    {
      name: 'the referenced entity’s fields',
      query: '{ posts { title author { id name } } }',
      expected: {
        data: {
          posts: [
            { title: 'Engines', author: { id: 'u1', name: 'Ada' } },
            { title: 'Compilers', author: { id: 'u2', name: 'Grace' } },
          ],
        },
      },
    },
    {
      name: 'only the key',
      query: '{ posts { author { id } } }',
      expected: { data: { posts: [{ author: { id: 'u1' } }, { author: { id: 'u2' } }] } },
    },
  ],
};

const items = [
  { id: 'i1', ref: { zone: 'north', shelf: 'S1' }, name: 'Bolt' },
  { id: 'i2', ref: { zone: 'south', shelf: 'S7' }, name: 'Nut' },
];

/**
 * Keys that differ across subgraphs: the first resolves the entity by `id` only, the second only by
 * `id ref { shelf }`, and a field of the second requires a field of the first. The planner must fetch
 * `ref { shelf }` before it can come back to the second subgraph.
 */
const differingKeys: ConformanceCase = {
  name: 'keys that differ across subgraphs',
  covers: ['@key differing', '@key nested', '@requires'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `${federation(['@key', '@shareable'])}
        type Item @key(fields: "id") @key(fields: "ref { zone shelf }", resolvable: false) { id: ID! ref: Ref! name: String! }
        type Ref @shareable { zone: String! shelf: String! }`,
      resolvers: { Item: { __resolveReference: (ref: any) => byId(items, ref.id) } },
    },
    {
      name: 'storage',
      typeDefs: `${federation(['@key', '@shareable', '@external', '@requires'])}
        type Query { box: Box }
        type Box { id: ID! items: [Item!]! }
        type Item @key(fields: "id ref { shelf }") @key(fields: "id", resolvable: false) {
          id: ID!
          ref: Ref!
          name: String! @external
          label: String! @requires(fields: "name")
        }
        type Ref @shareable { zone: String! shelf: String! }`,
      resolvers: {
        Query: { box: () => ({ id: 'b1', items: items.map(({ id, ref }) => ({ id, ref })) }) },
        Item: {
          __resolveReference: (ref: any) => {
            const item = byId(items, ref.id);
            return item && ref.ref?.shelf === item.ref.shelf ? { ...ref, ref: item.ref } : null;
          },
          label: (item: any) => `${item.name} on ${item.ref.shelf}`,
        },
      },
    },
  ],
  operations: [
    {
      name: 'a required field from the subgraph keyed otherwise',
      query: '{ box { id items { id name label } } }',
      expected: {
        data: {
          box: {
            id: 'b1',
            items: [
              { id: 'i1', name: 'Bolt', label: 'Bolt on S1' },
              { id: 'i2', name: 'Nut', label: 'Nut on S7' },
            ],
          },
        },
      },
    },
    {
      name: 'only the requiring field',
      query: '{ box { items { label } } }',
      expected: { data: { box: { items: [{ label: 'Bolt on S1' }, { label: 'Nut on S7' }] } } },
    },
  ],
};

const people = [
  { id: 'u1', name: 'Ada' },
  { id: 'u2', name: 'Bob' },
];
const orders = [
  { id: 'o1', userId: 'u1', productId: 'p1' },
  { id: 'o2', userId: 'u1', productId: 'p2' },
  { id: 'o3', userId: 'u2', productId: 'p1' },
];
const tools = [
  { id: 'p1', name: 'Saw', makerId: 'u2' },
  { id: 'p2', name: 'Drill', makerId: 'u1' },
];

/** Entity calls five levels deep: users → orders → products → users → orders → products. */
const nestedEntityCalls: ConformanceCase = {
  name: 'entity calls nested several levels',
  covers: ['entity calls ×5', 'lists of entities'],
  subgraphs: [
    {
      name: 'users',
      typeDefs: `${federation(['@key'])}
        type Query { user(id: ID!): User }
        type User @key(fields: "id") { id: ID! name: String! }`,
      resolvers: {
        Query: { user: (_: unknown, { id }: { id: string }) => byId(people, id) },
        User: { __resolveReference: (ref: any) => byId(people, ref.id) },
      },
    },
    {
      name: 'orders',
      typeDefs: `${federation(['@key'])}
        type User @key(fields: "id") { id: ID! orders: [Order!]! }
        type Order @key(fields: "id") { id: ID! product: Product! }
        type Product @key(fields: "id", resolvable: false) { id: ID! }`,
      resolvers: {
        User: {
          __resolveReference: (ref: any) => ({ id: ref.id }),
          orders: (user: any) => orders.filter((order) => order.userId === user.id),
        },
        Order: {
          __resolveReference: (ref: any) => byId(orders, ref.id),
          product: (order: any) => ({ id: order.productId }),
        },
      },
    },
    {
      name: 'products',
      typeDefs: `${federation(['@key'])}
        type Product @key(fields: "id") { id: ID! name: String! maker: User! }
        type User @key(fields: "id", resolvable: false) { id: ID! }`,
      resolvers: {
        Product: {
          __resolveReference: (ref: any) => byId(tools, ref.id),
          maker: (product: any) => ({ id: product.makerId }),
        },
      },
    },
  ],
  operations: [
    {
      name: 'five hops',
      query: '{ user(id: "u1") { name orders { id product { name maker { name orders { id product { name } } } } } } }',
      expected: {
        data: {
          user: {
            name: 'Ada',
            orders: [
              { id: 'o1', product: { name: 'Saw', maker: { name: 'Bob', orders: [{ id: 'o3', product: { name: 'Saw' } }] } } },
              {
                id: 'o2',
                product: {
                  name: 'Drill',
                  maker: {
                    name: 'Ada',
                    orders: [
                      { id: 'o1', product: { name: 'Saw' } },
                      { id: 'o2', product: { name: 'Drill' } },
                    ],
                  },
                },
              },
            ],
          },
        },
      },
    },
    {
      name: 'an unknown root entity',
      query: '{ user(id: "u9") { name orders { id } } }',
      expected: { data: { user: null } },
    },
  ],
};

export const keyCases: ConformanceCase[] = [compoundKey, multipleKeys, nonResolvableKey, differingKeys, nestedEntityCalls];
