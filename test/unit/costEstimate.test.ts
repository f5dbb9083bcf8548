import { composeServices } from '@apollo/composition';
import { getIntrospectionQuery, parse } from 'graphql';
import { CostEstimator, CostModel, InvalidVariables } from '../../router';

const SUBGRAPH = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
  type Query {
    shop: Shop
    items(first: Int = 5, after: String): ItemConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
    search(term: String! @cost(weight: 7), first: Int, last: Int): [Item!]! @listSize(slicingArguments: ["first", "last"])
    loose(first: Int, last: Int): [Item!]! @listSize(slicingArguments: ["first", "last"], requireOneSlicingArgument: false, assumedSize: 4)
    tags: [String!]!
    nodes: [Node!]! @listSize(assumedSize: 3)
    results: [Result!]! @listSize(assumedSize: 2)
    report: Report @cost(weight: 50)
    unbounded: [Item!]!
  }
  type Mutation { buy(input: BuyInput!): Item @cost(weight: 5) gift(order: GiftOrder, label: String): Item }
  input BuyInput { itemId: ID! note: String @cost(weight: 3) }
  input GiftOrder { wrapping: String buy: BuyInput }
  type Shop { name: String! items(first: Int = 2): ItemConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"]) }
  type ItemConnection { edges: [ItemEdge!]! pageInfo: PageInfo! }
  type ItemEdge { node: Item! cursor: String! }
  type PageInfo { hasNextPage: Boolean! }
  interface Node { id: ID! }
  type Item implements Node @key(fields: "id") {
    id: ID!
    name: String!
    price: Int! @cost(weight: 2)
    related(first: Int = 3): ItemConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
  }
  type Seller implements Node { id: ID! rating: Rating! }
  type Rating @cost(weight: 4) { stars: Int! }
  union Result = Item | Seller
  type Report { total: Int! }
`;

const composed = composeServices([{ name: 'shop', url: 'http://shop', typeDefs: parse(SUBGRAPH) }]);
if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
const estimator = new CostEstimator(new CostModel(parse(composed.supergraphSdl)), composed.schema.toAPISchema().toGraphQLJSSchema(), {
  defaultListSize: 10,
});
const estimate = (query: string, variables: Record<string, unknown> = {}, operationName?: string) =>
  estimator.analyze(parse(query), operationName, variables);

/**
 * Each cost below was worked out by hand from the cost specification: objects 1, scalars 0, a list times
 * its size (slicing argument, else assumedSize, else the default 10), a connection's size applied to its
 * sizedFields, @cost replacing the weight, argument weights added once, mutations plus 10.
 */
describe('estimated cost, computed by hand', () => {
  it.each([
    ['one object', '{ shop { name } }', {}, 1],
    [
      'a connection: first sizes edges, not the connection',
      '{ items(first: 10) { edges { node { name } } pageInfo { hasNextPage } } }',
      {},
      1 + 10 * (1 + 1) + 1,
    ],
    ['a default argument as the slicing value', '{ items { edges { node { id } } } }', {}, 1 + 5 * (1 + 1)],
    ['a variable as the slicing value', 'query($n: Int) { items(first: $n) { edges { cursor } } }', { n: 7 }, 1 + 7],
    ['an absent variable falls back to the default', 'query($n: Int) { items(first: $n) { edges { cursor } } }', {}, 1 + 5],
    [
      'nested connections multiply',
      '{ items(first: 4) { edges { node { related(first: 2) { edges { node { name } } } } } } }',
      {},
      1 + 4 * (1 + (1 + (1 + 2 * (1 + 1)))),
    ],
    [
      'nested default sizes',
      '{ shop { items { edges { node { related { edges { cursor } } } } } } }',
      {},
      1 + (1 + 2 * (1 + (1 + (1 + 3 * 1)))),
    ],
    ['@cost on a scalar field', '{ items(first: 3) { edges { node { price } } } }', {}, 1 + 3 * (1 + (1 + 2))],
    ['@cost on a field replaces its type weight', '{ report { total } }', {}, 50],
    ['@cost on a type', '{ nodes { ... on Seller { rating { stars } } } }', {}, 3 * (1 + 4)],
    [
      'an interface: the most expensive possible type',
      '{ nodes { id ... on Seller { rating { stars } } ... on Item { name } } }',
      {},
      3 * (1 + 4),
    ],
    [
      'a union: the most expensive member',
      '{ results { ... on Item { price } ... on Seller { rating { stars } } } }',
      {},
      2 * (1 + Math.max(2, 4)),
    ],
    [
      'a named fragment',
      'query { items(first: 2) { edges { node { ...F } } } } fragment F on Item { price name }',
      {},
      1 + 2 * (1 + (1 + 2)),
    ],
    ['aliases count each selection', '{ a: shop { name } b: shop { name } }', {}, 2],
    ['@skip(if: true) removes a branch', 'query($s: Boolean!) { shop { name } report @skip(if: $s) { total } }', { s: true }, 1],
    ['@skip(if: false) keeps it', 'query($s: Boolean!) { shop { name } report @skip(if: $s) { total } }', { s: false }, 51],
    ['@include(if: false) removes a branch', 'query($i: Boolean!) { shop { name } report @include(if: $i) { total } }', { i: false }, 1],
    ['an argument with @cost', '{ search(term: "x", first: 3) { id } }', {}, 3 * 1 + 7],
    ['assumedSize when slicing is optional and absent', '{ loose { id } }', {}, 4],
    [
      'a mutation adds 10, with its field and input-field weights',
      'mutation { buy(input: { itemId: "1", note: "hi" }) { id } }',
      {},
      10 + 5 + 3,
    ],
    ['an unset weighted input field costs nothing', 'mutation { buy(input: { itemId: "1" }) { id } }', {}, 10 + 5],
    [
      'a weighted input field set through a variable',
      'mutation($in: BuyInput!) { buy(input: $in) { id } }',
      { in: { itemId: '1', note: 'x' } },
      18,
    ],
    ['a scalar list', '{ tags }', {}, 0],
    ['a list without @listSize: the default size', '{ unbounded { id } }', {}, 10],
  ])('%s', (_label, query, variables, expected) => {
    expect(estimate(query, variables).cost).toBe(expected);
  });

  it('estimates the named operation of a document with several', () => {
    const document = 'query A { shop { name } } query B { report { total } }';
    expect(estimate(document, {}, 'B').cost).toBe(50);
  });

  it('prices introspection at 0: the router answers it from its own schema, no subgraph is asked', () => {
    const introspection = getIntrospectionQuery({ specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true });
    expect(estimate(introspection).cost).toBe(0);
    expect(estimate('{ __type(name: "Shop") { fields { name } } shop { name } }').cost).toBe(1);
  });

  it('flags requireOneSlicingArgument when none or several are given', () => {
    expect(estimate('{ search(term: "x") { id } }').slicingViolation).toMatchObject({ coordinate: 'Query.search', given: 0 });
    expect(estimate('{ search(term: "x", first: 1, last: 2) { id } }').slicingViolation).toMatchObject({ given: 2 });
    expect(estimate('{ search(term: "x", last: 2) { id } }').slicingViolation).toBeNull();
  });

  it('refuses variables that do not fit their types before estimating', () => {
    expect(() => estimate('query($n: Int) { items(first: $n) { edges { cursor } } }', { n: 'many' })).toThrow(InvalidVariables);
  });

  it('measures depth, aliases and root fields through fragments', () => {
    const analysis = estimate(
      'query { a: shop { name } b: items { edges { node { ...F } } } } fragment F on Item { x: related { edges { cursor } } }',
    );
    // b › edges › node › x › edges › cursor
    expect(analysis).toMatchObject({ depth: 6, aliases: 3, rootFields: 2 });
  });

  it('names the variables that can change the estimate, for the cache key', () => {
    const analysis = estimate(
      'query($n: Int, $s: Boolean!, $id: ID!, $in: BuyInput) { items(first: $n) @skip(if: $s) { edges { cursor } } shop { name } }',
      {
        s: false,
        id: '1',
      },
    );
    expect(analysis.relevantVariables).toEqual(['n', 's']);
  });
});

describe('actual cost, from what the response holds', () => {
  it('counts the objects that came back, lists at their real length, nulls free', () => {
    const query = '{ items(first: 10) { edges { node { name price } } } shop { name } report { total } }';
    const data = {
      items: { edges: [{ node: { name: 'a', price: 1 } }, { node: { name: 'b', price: 2 } }] },
      shop: null,
      report: { total: 3 },
    };
    // items 1 + 2 edges × (1 + node 1 + price 2) + shop 0 + report 50
    expect(estimator.actualCost(parse(query), undefined, {}, data)).toBe(1 + 2 * (1 + 1 + 2) + 50);
    expect(estimate(query).cost).toBe(1 + 10 * (1 + 1 + 2) + 1 + 50);
  });

  it('prices one parsed document again for each request’s variables (arguments and @include)', () => {
    const withVariables = parse('mutation($in: BuyInput!) { buy(input: $in) { id } }');
    const data = { buy: { id: '1' } };
    const literal = (input: string) => estimator.actualCost(parse(`mutation { buy(input: ${input}) { id } }`), undefined, {}, data);
    expect(estimator.actualCost(withVariables, undefined, { in: { itemId: '1', note: 'n' } }, data)).toBe(
      literal('{ itemId: "1", note: "n" }'),
    );
    expect(estimator.actualCost(withVariables, undefined, { in: { itemId: '1' } }, data)).toBe(literal('{ itemId: "1" }'));
    expect(literal('{ itemId: "1", note: "n" }')).not.toBe(literal('{ itemId: "1" }'));

    const toggled = parse('query($with: Boolean!) { shop @include(if: $with) { name } report { total } }');
    const both = { shop: { name: 's' }, report: { total: 1 } };
    const fresh = (query: string) => estimator.actualCost(parse(query), undefined, {}, both);
    expect(estimator.actualCost(toggled, undefined, { with: true }, both)).toBe(fresh('{ shop { name } report { total } }'));
    expect(estimator.actualCost(toggled, undefined, { with: false }, both)).toBe(fresh('{ report { total } }'));
    expect(estimator.actualCost(toggled, undefined, { with: true }, both)).toBeGreaterThan(fresh('{ report { total } }'));
  });

  it('prices arguments given through variables as the same literals would, whether or not a weight can reach them', () => {
    const data = { search: [{ id: '1' }], gift: { id: '2' } };
    const literal = (query: string) => estimator.actualCost(parse(query), undefined, {}, data);
    // An argument with a weight of its own, through a variable.
    const search = parse('query($t: String!, $n: Int) { search(term: $t, first: $n) { id } }');
    expect(estimator.actualCost(search, undefined, { t: 'x', n: 1 }, data)).toBe(literal('{ search(term: "x", first: 1) { id } }'));
    // An input field with a weight two input objects down: present in one request, absent in the next.
    const gift = parse('mutation($o: GiftOrder, $l: String) { gift(order: $o, label: $l) { id } }');
    const weighted = { o: { wrapping: 'red', buy: { itemId: '1', note: 'n' } }, l: 'to you' };
    expect(estimator.actualCost(gift, undefined, weighted, data)).toBe(
      literal('mutation { gift(order: { wrapping: "red", buy: { itemId: "1", note: "n" } }, label: "to you") { id } }'),
    );
    expect(estimator.actualCost(gift, undefined, { o: { wrapping: 'red' }, l: null }, data)).toBe(
      literal('mutation { gift(order: { wrapping: "red" }) { id } }'),
    );
    expect(estimator.actualCost(gift, undefined, weighted, data) - estimator.actualCost(gift, undefined, { o: {} }, data)).toBe(3);
    // Arguments no weight can reach (a slicing argument, a plain ID) cost nothing, whatever the variables hold.
    const related = parse('query($n: Int) { loose(first: $n) { related(first: $n) { edges { cursor } } } }');
    const looseData = { loose: [{ related: { edges: [{ cursor: 'a' }] } }] };
    expect(estimator.actualCost(related, undefined, { n: 3 }, looseData)).toBe(
      estimator.actualCost(parse('{ loose(first: 3) { related(first: 3) { edges { cursor } } } }'), undefined, {}, looseData),
    );
  });

  it('counts only what an answer object holds itself, never what it inherits (an alias named constructor)', () => {
    // Without __typename a fragment on an object type is counted (an upper bound); the Item answers lack its
    // aliased field, and a plain object inherits `constructor` from Object.prototype.
    const query = '{ nodes { id ... on Seller { constructor: rating { stars } toString: id } } }';
    const plain = { nodes: [{ id: '1' }, { id: '2' }] };
    const nullPrototype = { nodes: plain.nodes.map((node) => Object.assign(Object.create(null), node)) };
    expect(estimator.actualCost(parse(query), undefined, {}, nullPrototype)).toBe(2);
    expect(estimator.actualCost(parse(query), undefined, {}, plain)).toBe(2);
  });

  it('adds the mutation base and the argument weights', () => {
    const query = 'mutation { buy(input: { itemId: "1", note: "n" }) { id } }';
    expect(estimator.actualCost(parse(query), undefined, {}, { buy: { id: '1' } })).toBe(18);
    expect(estimator.actualCost(parse(query), undefined, {}, { buy: null })).toBe(13);
  });
});
