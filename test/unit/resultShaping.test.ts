import { buildSchema, operationFromDocument } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { fastComputeResponse } from '../../router/gateway/fastPaths/resultShaping';
import { mulberry32 as random } from '../../scripts/lib/seed';

// The gateway's own implementation: the reference the fast one must match response for response.
const shaping = require('@apollo/gateway/dist/resultShaping') as typeof import('@apollo/gateway/dist/resultShaping');
const gatewayComputeResponse = shaping.computeResponse;
type Arguments = Parameters<typeof gatewayComputeResponse>[0];

const SCHEMA = buildSchema(`
  scalar DateTime
  enum Status { PENDING PAID SHIPPED }
  interface Node { id: ID! }
  interface Priced { priceCents: Int! currency: String }
  type Query {
    me: User
    node(id: ID!): Node
    search(term: String): [SearchResult!]!
    products(first: Int = 20): [Product!]!
    matrix: [[Int]]
    flags: [Boolean!]
    ratio: Float
    stamps: [DateTime]
  }
  union SearchResult = Product | User
  type User implements Node { id: ID! name: String email: String! orders(first: Int): [Order!]! }
  type Order implements Node { id: ID! status: Status! placedAt: DateTime! total: Money items: [OrderItem!]! }
  type OrderItem { quantity: Int! product: Product }
  type Product implements Node & Priced { id: ID! name: String! priceCents: Int! currency: String tags: [String!] rating: Float }
  type Money implements Priced { priceCents: Int! currency: String }
`);

/** Operations that use what shaping has to handle: aliases, fields repeated across fragments, spreads, type conditions, @skip/@include, nested lists, __typename under aliases. */
const OPERATIONS: { query: string; variables?: Record<string, unknown> }[] = [
  {
    query: `query MyOrders($first: Int, $withItems: Boolean!) {
      me { id name orders(first: $first) { id status placedAt total { priceCents currency }
        items @include(if: $withItems) { quantity product { id name priceCents tags } } } } }`,
    variables: { first: 20, withItems: true },
  },
  {
    query: `query MyOrders($first: Int, $withItems: Boolean!) {
      me { id name orders(first: $first) { id items @include(if: $withItems) { quantity } } } }`,
    variables: { first: 20, withItems: false },
  },
  {
    query: `query Aliased { me { who: name kind: __typename __typename orders { ref: id again: id status } } }`,
  },
  {
    query: `query Repeated { me { id orders { id items { product { id } } } ...MoreOrders ... on User { orders { items { product { name priceCents } } } } } }
      fragment MoreOrders on User { orders { status items { quantity product { tags } } } }`,
  },
  {
    query: `query Search($term: String, $skipUsers: Boolean = true) {
      search(term: $term) { __typename ... on Node { id } ... on Product { name rating } ... on User @skip(if: $skipUsers) { email } ...Price } }
      fragment Price on Priced { priceCents currency }`,
    variables: { term: 'a' },
  },
  {
    query: `query Search { search { ... on User { id name } ... on Product @include(if: false) { name } t: __typename } }`,
  },
  {
    query: `query NodeById { node(id: "1") { id ... on Order { status placedAt } ... on User { email } ... on Priced { priceCents } } }`,
  },
  {
    query: `query Lists { matrix flags ratio products(first: 3) { id name priceCents currency tags rating } }`,
  },
];

/** Well-formed subgraph data for an operation: every selected field under its response name, values of the right type. */
function wellFormed(next: () => number, query: string): Record<string, unknown> {
  const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)];
  const product = () => ({
    __typename: 'Product',
    id: String(Math.floor(next() * 1000)),
    name: pick(['Desk', 'Lamp', 'Chair']),
    priceCents: Math.floor(next() * 10_000),
    currency: pick(['EUR', null]),
    tags: pick([['new'], [], null]),
    rating: pick([4.5, null, 3]),
  });
  const order = () => ({
    __typename: 'Order',
    id: String(Math.floor(next() * 1000)),
    ref: '7',
    again: '7',
    status: pick(['PENDING', 'PAID', 'SHIPPED']),
    placedAt: '2026-11-28T00:00:00Z',
    total: pick([{ priceCents: 1200, currency: 'EUR' }, null]),
    items: Array.from({ length: Math.floor(next() * 5) }, () => ({
      quantity: 1 + Math.floor(next() * 3),
      product: pick([product(), null]),
    })),
  });
  const user = () => ({
    __typename: 'User',
    id: String(Math.floor(next() * 1000)),
    name: pick(['Ada', null]),
    who: 'Ada',
    kind: 'User',
    email: 'ada@example.com',
    orders: Array.from({ length: Math.floor(next() * 6) }, order),
  });
  if (query.includes('search')) return { search: Array.from({ length: 6 }, () => (next() < 0.5 ? product() : user())) };
  if (query.includes('node(')) return { node: next() < 0.5 ? order() : user() };
  if (query.includes('matrix')) {
    return { matrix: [[1, null], null, []], flags: [true, false], ratio: 0.25, products: Array.from({ length: 3 }, product) };
  }
  return { me: user() };
}

/** One corruption somewhere in the data: what a buggy subgraph might send. */
function corrupt(next: () => number, data: unknown): void {
  const paths: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        paths.push({ parent: value, key: index });
        walk(value[index]);
      }
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        paths.push({ parent: value as Record<string, unknown>, key });
        walk(item);
      }
    }
  };
  walk(data);
  const { parent, key } = paths[Math.floor(next() * paths.length)];
  const replacements = [null, 'not-a-number', 42.5, true, { unexpected: 1 }, ['list'], undefined, 'Nope', -0, Number.NaN];
  (parent as Record<string | number, unknown>)[key] = replacements[Math.floor(next() * replacements.length)];
}

function outcome(compute: typeof gatewayComputeResponse, args: Arguments): string {
  try {
    const { data, errors } = compute(args);
    return JSON.stringify({ data, errors: errors.map((error) => ({ message: error.message, path: error.path })) });
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

function argumentsFor(operation: (typeof OPERATIONS)[number], input: Record<string, unknown>): Arguments {
  return {
    operation: operationFromDocument(SCHEMA, parse(operation.query), { validate: true }),
    variables: operation.variables ?? {},
    input,
    introspectionHandling: () => ({ introspected: true }),
  };
}

describe('fast result shaping', () => {
  it('gives the gateway’s response for well-formed data without falling back to it', () => {
    let fallbacks = 0;
    const fast = fastComputeResponse((args) => {
      fallbacks += 1;
      return gatewayComputeResponse(args);
    });
    const next = random(7);
    let compared = 0;
    for (const operation of OPERATIONS) {
      for (let round = 0; round < 40; round++) {
        const input = wellFormed(next, operation.query);
        const expected = outcome(gatewayComputeResponse, argumentsFor(operation, structuredClone(input)));
        expect(expected).not.toMatch(/^threw/);
        expect(outcome(fast, argumentsFor(operation, structuredClone(input)))).toBe(expected);
        compared += 1;
      }
    }
    expect(compared).toBe(OPERATIONS.length * 40);
    // Nulls where the schema allows them are not errors: every one of these took the fast path.
    expect(fallbacks).toBe(0);
  });

  it('gives the gateway’s errors, paths and bubbled nulls for corrupted data (by falling back)', () => {
    let fallbacks = 0;
    const fast = fastComputeResponse((args) => {
      fallbacks += 1;
      return gatewayComputeResponse(args);
    });
    const next = random(11);
    let withErrors = 0;
    for (const operation of OPERATIONS) {
      for (let round = 0; round < 60; round++) {
        const input = wellFormed(next, operation.query);
        corrupt(next, input);
        const expected = outcome(gatewayComputeResponse, argumentsFor(operation, structuredClone(input)));
        if (expected.startsWith('threw') || JSON.parse(expected).errors.length > 0) withErrors += 1;
        expect(outcome(fast, argumentsFor(operation, structuredClone(input)))).toBe(expected);
      }
    }
    // The corruptions did reach the error paths, and those went to the gateway's implementation.
    expect(withErrors).toBeGreaterThan(50);
    expect(fallbacks).toBeGreaterThanOrEqual(withErrors);
  });

  it('keeps the output’s key order and merges a field selected twice into one object', () => {
    const operation = OPERATIONS[3];
    const input = {
      me: {
        id: '1',
        orders: [{ id: '9', status: 'PAID', items: [{ quantity: 2, product: { id: '5', name: 'Desk', priceCents: 100, tags: ['x'] } }] }],
      },
    };
    const fast = fastComputeResponse(() => {
      throw new Error('no fallback expected');
    });
    const { data } = fast(argumentsFor(operation, input));
    expect(JSON.stringify(data)).toBe(JSON.stringify(gatewayComputeResponse(argumentsFor(operation, input)).data));
    expect(JSON.stringify(data)).toBe(
      JSON.stringify({
        me: {
          id: '1',
          orders: [{ id: '9', items: [{ product: { id: '5', tags: ['x'], name: 'Desk', priceCents: 100 }, quantity: 2 }], status: 'PAID' }],
        },
      }),
    );
  });

  it('leaves a hole in a list (which JSON never has) to the gateway, which refuses it', () => {
    const fast = fastComputeResponse(gatewayComputeResponse);
    // A custom scalar accepts any value, so only the hole itself can send it back.
    const args = argumentsFor({ query: '{ stamps }' }, { stamps: ['2026-11-28T00:00:00Z', undefined] });
    expect(outcome(fast, args)).toBe(outcome(gatewayComputeResponse, args));
    expect(outcome(fast, args)).toMatch(/^threw Should not pass undefined/);
  });

  it('leaves out skipped fields and answers introspection through the gateway’s callback', () => {
    const fast = fastComputeResponse(() => {
      throw new Error('no fallback expected');
    });
    const skipped = fast(argumentsFor(OPERATIONS[1], { me: { id: '1', name: 'Ada', orders: [{ id: '2', items: [{ quantity: 1 }] }] } }));
    expect(skipped.data).toEqual({ me: { id: '1', name: 'Ada', orders: [{ id: '2' }] } });
    const introspection = fast({
      ...argumentsFor({ query: '{ __schema { queryType { name } } me { id } }' }, { me: { id: '1' } }),
      introspectionHandling: () => ({ queryType: { name: 'Query' } }),
    });
    expect(introspection.data).toEqual({ __schema: { queryType: { name: 'Query' } }, me: { id: '1' } });
  });

  it('answers response names that Object.prototype also has (constructor, toString, __proto__) as the gateway does', () => {
    // The fast path's objects have a prototype (for speed) but inherit nothing: an alias named like an
    // Object.prototype member reads as unset until selected, and `__proto__` is an ordinary key.
    const inherited = `query Inherited { me { constructor: name toString: id hasOwnProperty: email valueOf: __typename
      __proto__: name orders { constructor: id isPrototypeOf: status } } }`;
    const input = () =>
      JSON.parse(`{"me": {"__typename": "User", "constructor": "Ada", "toString": "1", "hasOwnProperty": "ada@example.com",
        "__proto__": "Ada", "orders": [{"constructor": "7", "isPrototypeOf": "PAID"}, {"constructor": "8", "isPrototypeOf": "SHIPPED"}]}}`);
    const fast = fastComputeResponse(() => {
      throw new Error('no fallback expected');
    });
    const expected = outcome(gatewayComputeResponse, argumentsFor({ query: inherited }, input()));
    expect(JSON.parse(expected).errors).toEqual([]);
    expect(expected).toContain('"__proto__":"Ada"');
    expect(outcome(fast, argumentsFor({ query: inherited }, input()))).toBe(expected);

    // What was not selected is not there, whatever its name.
    const skipped = fast(
      argumentsFor({ query: '{ me { id constructor: name @skip(if: true) toString: email @include(if: false) } }' }, { me: { id: '1' } }),
    );
    const me = (skipped.data as { me: Record<string, unknown> }).me;
    expect(JSON.stringify(skipped.data)).toBe('{"me":{"id":"1"}}');
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) expect(me[name]).toBeUndefined();
  });
});
