import { composeServices } from '@apollo/composition';
import { buildASTSchema, GraphQLError, parse, print } from 'graphql';
import { AuthorizationPolicy, prepareSupergraph, SupergraphRefused } from '../../router';
import type { Caller } from '../../shared';

const SUBGRAPH = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes"])
  type Query {
    shop: Shop!
    secretShop: Shop @authenticated
    node(id: ID!): Node
  }
  interface Node { id: ID! notes: String }
  type Shop implements Node @key(fields: "id") {
    id: ID!
    name: String!
    notes: String @requiresScopes(scopes: [["staff"], ["admin", "audit"]])
    revenue: Int! @requiresScopes(scopes: [["finance"]])
    owner: Person
    employees: [Person!]!
  }
  type Person implements Node @key(fields: "id") {
    id: ID!
    name: String!
    notes: String
    salary: Int @requiresScopes(scopes: [["finance"]])
    wallet: Wallet
  }
  type Wallet @authenticated { balance: Int! }
`;

function composed(sdl: string) {
  const result = composeServices([{ name: 'shop', url: 'http://shop', typeDefs: parse(sdl) }]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result;
}
const compose = (sdl: string) => composed(sdl).supergraphSdl;

const supergraphSdl = compose(SUBGRAPH);
const prepared = prepareSupergraph(supergraphSdl);
const apiSchema = composed(SUBGRAPH).schema.toAPISchema().toGraphQLJSSchema();
const anonymous: Caller = { userId: null, scopes: new Set() };
const user = (...scopes: string[]): Caller => ({ userId: '1', scopes: new Set(scopes) });

function authorize(query: string, caller: Caller, policy = new AuthorizationPolicy(prepared, apiSchema)) {
  const document = parse(query);
  return policy.authorize(document, `hash:${query}`, null, caller);
}

describe('the supergraph the router hands the gateway', () => {
  it('drops the security features it enforces, and keeps everything else', () => {
    expect(supergraphSdl).toContain('for: SECURITY');
    expect(prepared.gatewaySdl).not.toMatch(/authenticated|requiresScopes/);
    expect(prepared.gatewaySdl).toContain('type Shop');
    expect(() => buildASTSchema(parse(prepared.gatewaySdl), { assumeValidSDL: true })).not.toThrow();
  });

  it('refuses a supergraph that links a SECURITY feature nobody enforces (@policy)', () => {
    const withPolicy = compose(
      SUBGRAPH.replace('"@requiresScopes"]', '"@requiresScopes", "@policy"]').replace(
        'name: String!\n    notes',
        'name: String! @policy(policies: [["p"]])\n    notes',
      ),
    );
    expect(() => prepareSupergraph(withPolicy)).toThrow(SupergraphRefused);
    expect(() => prepareSupergraph(withPolicy)).toThrow(/policy/);
  });

  it('refuses an unknown feature linked for EXECUTION', () => {
    const sdl = supergraphSdl.replace(
      '@link(url: "https://specs.apollo.dev/link/v1.0")',
      '@link(url: "https://specs.apollo.dev/link/v1.0")\n  @link(url: "https://example.com/magic/v1.0", for: EXECUTION)',
    );
    expect(() => prepareSupergraph(sdl)).toThrow(/magic\/v1.0 \(for: EXECUTION\)/);
  });
});

describe('AuthorizationPolicy', () => {
  it('leaves an operation without protected fields untouched (same document, same hash)', () => {
    const result = authorize('{ shop { id name employees { name } } }', anonymous);
    expect(result.removals).toEqual([]);
    expect(result.queryHash).toBe('hash:{ shop { id name employees { name } } }');
  });

  it('takes refused fields out before planning, with the error code that fits the caller', () => {
    const asAnonymous = authorize('{ shop { name revenue notes } }', anonymous);
    expect(print(asAnonymous.document)).toBe('{\n  shop {\n    name\n  }\n}');
    expect(asAnonymous.removals.map((r) => [r.path.map((s) => s.key).join('.'), r.error?.code])).toEqual([
      ['shop.revenue', 'UNAUTHENTICATED'],
      ['shop.notes', 'UNAUTHENTICATED'],
    ]);
    expect(authorize('{ shop { revenue } }', user('staff')).removals[0].error?.code).toBe('FORBIDDEN');
    expect(authorize('{ shop { revenue } }', user('finance')).removals).toEqual([]);
  });

  it('reads requiresScopes as OR of AND-sets', () => {
    expect(authorize('{ shop { notes } }', user('admin')).removals).toHaveLength(1);
    expect(authorize('{ shop { notes } }', user('admin', 'audit')).removals).toHaveLength(0);
    expect(authorize('{ shop { notes } }', user('staff')).removals).toHaveLength(0);
  });

  it('protects every field returning a protected type, and interface fields by their implementations', () => {
    expect(
      authorize('{ shop { owner { wallet { balance } } } }', anonymous).removals.map((r) => r.path.map((s) => s.key).join('.')),
    ).toEqual(['shop.owner.wallet']);
    // Node.notes is protected because Shop.notes is, even where the object turns out to be a Person.
    expect(authorize('{ node(id: "1") { id notes } }', user()).removals.map((r) => r.error?.code)).toEqual(['FORBIDDEN']);
  });

  it('follows fragments and aliases, reporting the response path', () => {
    const result = authorize(
      'query { s: shop { ...Money ... on Shop { boss: owner { pay: salary } } } } fragment Money on Shop { total: revenue name }',
      user(),
    );
    expect(result.removals.map((r) => r.path.map((s) => s.key))).toEqual([
      ['s', 'total'],
      ['s', 'boss', 'pay'],
    ]);
    expect(print(result.document)).not.toContain('fragment');
  });

  it('answers refused fields with null, propagating through non-null fields, and keeps the rest', () => {
    const result = authorize('{ shop { name revenue employees { name salary } } }', user());
    const response = { data: { shop: { name: 'A', employees: [{ name: 'x' }, { name: 'y' }] } }, errors: [] as GraphQLError[] };
    const completed = AuthorizationPolicy.complete(structuredClone(response), result);
    // revenue is Int!: its null makes shop null, and Query.shop is Shop!, so data is null.
    expect(completed.data).toBeNull();
    expect(completed.errors.map((e) => [e.path, e.extensions.code])).toEqual([
      [['shop', 'revenue'], 'FORBIDDEN'],
      [['shop', 'employees', 'salary'], 'FORBIDDEN'],
    ]);
    const nullable = authorize('{ shop { name employees { name salary } } }', user());
    expect(AuthorizationPolicy.complete(structuredClone(response), nullable).data).toEqual({
      shop: {
        name: 'A',
        employees: [
          { name: 'x', salary: null },
          { name: 'y', salary: null },
        ],
      },
    });
  });

  it('keeps an object whose every field was refused, answering it with only the nulls', () => {
    const result = authorize('{ shop { name owner { wallet { balance } } } }', anonymous);
    expect(print(result.document)).toContain('__authorizationPlaceholder: __typename');
    const completed = AuthorizationPolicy.complete(
      { data: { shop: { name: 'A', owner: { __authorizationPlaceholder: 'Person' } } } },
      result,
    );
    expect(completed.data).toEqual({ shop: { name: 'A', owner: { wallet: null } } });
  });

  it('gives the stripped document a hash of its own, so a plan for one caller never serves another', () => {
    const policy = new AuthorizationPolicy(prepared, apiSchema);
    const a = authorize('{ shop { name revenue } }', user(), policy);
    const b = authorize('{ shop { name revenue } }', user('finance'), policy);
    expect(a.queryHash).not.toBe(b.queryHash);
    expect(authorize('{ shop { name revenue } }', user(), policy)).toBe(a); // cached per rights
    expect(authorize('{ shop { name revenue } }', { userId: '2', scopes: new Set(['unrelated']) }, policy)).toBe(a);
  });

  it('never reads or writes through a prototype: a refused field under a key the object lacks (skipped, or in a fragment that did not apply)', () => {
    // Response objects built as plain objects (`{}`, JSON.parse) inherit `constructor`; a refused field under
    // that alias must not reach the global Object, nor fail the request.
    const cases = [
      {
        query: '{ node(id: "p1") { id ... on Shop { constructor: owner { salary } } } }',
        data: () => ({ node: { __typename: 'Person', id: 'p1' } }),
      },
      {
        query: '{ shop { id constructor: owner @skip(if: true) { id prototype: wallet { balance } } } }',
        data: () => ({ shop: { id: 's1' } }),
      },
    ];
    for (const { query, data } of cases) {
      const result = authorize(query, anonymous);
      expect(result.removals.length).toBeGreaterThan(0);
      const fromNullPrototype = AuthorizationPolicy.complete(
        {
          data: JSON.parse(JSON.stringify(data()), (_key, value) =>
            value && typeof value === 'object' && !Array.isArray(value) ? Object.assign(Object.create(null), value) : value,
          ),
        },
        result,
      );
      const fromPlain = AuthorizationPolicy.complete({ data: data() }, result);
      expect(JSON.stringify(fromPlain.data)).toBe(JSON.stringify(fromNullPrototype.data));
      expect(Object.hasOwn(Object, 'salary')).toBe(false);
      expect(Object.hasOwn(Object.prototype, 'salary')).toBe(false);
      expect(Object.hasOwn(Object.prototype, 'balance')).toBe(false);
      expect(Object.hasOwn(Object, 'prototype') && Object.hasOwn(Object.prototype, 'wallet')).toBe(false);
    }
  });

  it('answers without planning when every root field is refused', () => {
    const result = authorize('{ secretShop { name } }', anonymous);
    expect(result.empty).toBe(true);
    expect(AuthorizationPolicy.complete({ data: {} }, result)).toMatchObject({ data: { secretShop: null } });
    // As the router's gateway layer asks it, with no data at all; a root alias `__proto__` is an ordinary key.
    expect(AuthorizationPolicy.complete({}, result)).toMatchObject({ data: { secretShop: null } });
    const proto = authorize('{ __proto__: secretShop { name } }', anonymous);
    expect(proto.empty).toBe(true);
    expect(JSON.stringify(AuthorizationPolicy.complete({}, proto).data)).toBe('{"__proto__":null}');
  });
});
