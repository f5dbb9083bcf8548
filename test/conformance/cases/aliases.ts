import { byId, type ConformanceCase, federation } from '../harness';

const products = [
  { id: 'p1', name: 'Desk', weight: 3 },
  { id: 'p2', name: 'Lamp', weight: 1 },
];
const reviewCounts: Record<string, number> = { p1: 3, p2: 5 };
const collisionWhy =
  'the planner adds the key, the @requires field or __typename under its own name, which is the client’s alias: one response key for two selections';

/**
 * Aliases that are the name of a field the planner adds itself (a key field, a `@requires` field,
 * `__typename`). The router renames such selections before planning and restores the client's keys.
 */
const aliasCollisions: ConformanceCase = {
  name: 'aliases named like planner fields',
  covers: ['aliases = key field', 'aliases = @requires field', 'alias __typename'],
  subgraphs: [
    {
      name: 'catalog',
      typeDefs: `${federation(['@key'])}
        type Query { products: [Product!]! }
        type Product @key(fields: "id") { id: ID! name: String! weight: Int! }`,
      resolvers: { Query: { products: () => products }, Product: { __resolveReference: (ref: any) => byId(products, ref.id) } },
    },
    {
      name: 'reviews',
      typeDefs: `${federation(['@key', '@external', '@requires'])}
        type Product @key(fields: "id") { id: ID! weight: Int! @external reviewCount: Int! cost: Int! @requires(fields: "weight") }`,
      resolvers: {
        Product: {
          __resolveReference: (ref: any) => ref,
          reviewCount: (product: any) => reviewCounts[product.id],
          cost: (product: any) => product.weight * 10,
        },
      },
    },
  ],
  operations: [
    {
      name: 'an alias named like the key',
      query: '{ products { id: name reviewCount } }',
      expected: {
        data: {
          products: [
            { id: 'Desk', reviewCount: 3 },
            { id: 'Lamp', reviewCount: 5 },
          ],
        },
      },
      stock: {
        why: `${collisionWhy}: the client gets the entity’s id instead of its name`,
        data: {
          products: [
            { id: 'p1', reviewCount: 3 },
            { id: 'p2', reviewCount: 5 },
          ],
        },
      },
    },
    {
      name: 'an alias named like a required field',
      query: '{ products { weight: name cost } }',
      expected: {
        data: {
          products: [
            { weight: 'Desk', cost: 30 },
            { weight: 'Lamp', cost: 10 },
          ],
        },
      },
      stock: {
        why: `${collisionWhy}: the subgraph computes cost from the name`,
        data: null,
        errors: [
          { message: 'Int cannot represent non-integer value: NaN', path: ['products', 0, 'cost'] },
          { message: 'Int cannot represent non-integer value: NaN', path: ['products', 1, 'cost'] },
        ],
      },
    },
    {
      name: 'a required field aliased like the key',
      query: '{ products { name id: weight cost } }',
      expected: {
        data: {
          products: [
            { name: 'Desk', id: 3, cost: 30 },
            { name: 'Lamp', id: 1, cost: 10 },
          ],
        },
      },
      stock: { why: `${collisionWhy}: the whole answer is null, without an error`, data: null },
    },
    {
      name: 'an alias __typename',
      query: '{ products { __typename: name reviewCount } }',
      expected: {
        data: {
          products: [
            { __typename: 'Desk', reviewCount: 3 },
            { __typename: 'Lamp', reviewCount: 5 },
          ],
        },
      },
      stock: {
        why: `${collisionWhy}: the client gets the type’s name`,
        data: {
          products: [
            { __typename: 'Product', reviewCount: 3 },
            { __typename: 'Product', reviewCount: 5 },
          ],
        },
      },
    },
    {
      name: 'an alias that is the field’s own name',
      query: '{ products { id: id weight: weight cost } }',
      expected: {
        data: {
          products: [
            { id: 'p1', weight: 3, cost: 30 },
            { id: 'p2', weight: 1, cost: 10 },
          ],
        },
      },
    },
    {
      name: 'an alias under the prefix the router reserves',
      query: '{ products { __router_alias_id: name } }',
      expected: { data: { products: [{ __router_alias_id: 'Desk' }, { __router_alias_id: 'Lamp' }] } },
      ours: {
        why: 'the router renames colliding selections under this prefix, so it refuses it from clients',
        refused: 'OPERATION_NOT_SUPPORTED',
        status: 400,
        message: /__router_alias_id: name/,
      },
    },
  ],
};

export const aliasCases: ConformanceCase[] = [aliasCollisions];
