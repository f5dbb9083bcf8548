import fs from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { prepareSupergraph } from '../../router';
import { CostEstimator } from '../../router/demand/CostEstimator';
import { CostModel } from '../../router/demand/CostModel';
import { readDemandControlConfig } from '../../router/demand/DemandControlConfig';
import { DEFAULT_SLICING_ARGUMENTS, inferListSizes } from '../../router/demand/inferListSizes';
import { projectPath } from '../../shared';

const link = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: [${imports}])`;

/** Apollo's demo supergraph, as other teams compose it: no @listSize anywhere. */
const DEMO = [
  {
    name: 'products',
    url: 'http://products',
    typeDefs: parse(`${link('"@key"')}
      type Query { topProducts(first: Int = 5): [Product] search(limit: Int, pageSize: Int): [Product] tags(count: Int): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int }`),
  },
  {
    name: 'reviews',
    url: 'http://reviews',
    typeDefs: parse(`${link('"@key"')}
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }
      type Review @key(fields: "id") { id: ID! body: String author: User product: Product }
      type User @key(fields: "id") { id: ID! reviews: [Review] }`),
  },
  {
    name: 'accounts',
    url: 'http://accounts',
    typeDefs: parse(`${link('"@key"')}
      type Query { users(first: Int, after: String): UserConnection! }
      type UserConnection { edges: [UserEdge!]! nodes: [User!]! totalCount: Int! }
      type UserEdge { node: User! cursor: String! }
      type User @key(fields: "id") { id: ID! name: String username: String }`),
  },
];

const composed = composeServices(DEMO);
if (composed.errors || !composed.supergraphSdl) throw new Error(composed.errors?.map((error) => error.message).join('\n'));
const supergraphSdl = composed.supergraphSdl;
const apiSchema = composed.schema.toAPISchema().toGraphQLJSSchema();

function estimatorWith(slicingArguments: readonly string[]) {
  const model = new CostModel(parse(supergraphSdl));
  const summary = inferListSizes(model, apiSchema, slicingArguments, 10);
  return { summary, estimator: new CostEstimator(model, apiSchema, { defaultListSize: 10 }) };
}

const ISSUE_QUERY = '{ topProducts(first: 5) { reviews { author { reviews { product { name } } } } } }';

/**
 * Costs worked out by hand (objects 1, scalars 0, a list times its size): the issue's query is
 * topProducts × (1 + reviews × (1 + author (1 + reviews × (1 + product 1)))) = 5 × (1 + 10 × (1 + 1 + 10 × 2)) = 1,105.
 */
describe('slicing arguments inferred where @listSize says nothing', () => {
  it('prices the issue’s query by first: 5, as 1,105 instead of 2,210', () => {
    const inferred = estimatorWith(DEFAULT_SLICING_ARGUMENTS).estimator.analyze(parse(ISSUE_QUERY), undefined, {});
    expect(inferred.cost).toBe(1105);
    expect(inferred.assumedLists).toEqual(['Product.reviews', 'User.reviews']);
    const without = estimatorWith([]).estimator.analyze(parse(ISSUE_QUERY), undefined, {});
    expect(without.cost).toBe(2210);
    expect(without.assumedLists).toEqual(['Product.reviews', 'Query.topProducts', 'User.reviews']);
  });

  it('uses the argument’s default, the largest of several, and variables', () => {
    const { estimator } = estimatorWith(DEFAULT_SLICING_ARGUMENTS);
    expect(estimator.analyze(parse('{ topProducts { name } }'), undefined, {}).cost).toBe(5);
    expect(estimator.analyze(parse('{ search(limit: 3, pageSize: 7) { name } }'), undefined, {}).cost).toBe(7);
    const withVariable = estimator.analyze(parse('query Q($n: Int) { search(limit: $n) { name } }'), undefined, { n: 2 });
    expect({ cost: withVariable.cost, relevant: withVariable.relevantVariables }).toEqual({ cost: 2, relevant: ['n'] });
    const unsized = estimator.analyze(parse('{ search { name } }'), undefined, {});
    expect({ cost: unsized.cost, assumed: unsized.assumedLists }).toEqual({ cost: 10, assumed: ['Query.search'] });
  });

  it('sizes a connection’s edges and nodes by the argument on the connection field', () => {
    const query = '{ users(first: 3) { totalCount edges { cursor node { name } } nodes { name } } }';
    // connection 1 + edges 3 × (edge 1 + node 1) + nodes 3 × 1
    expect(estimatorWith(DEFAULT_SLICING_ARGUMENTS).estimator.analyze(parse(query), undefined, {}).cost).toBe(1 + 3 * 2 + 3);
    expect(estimatorWith([]).estimator.analyze(parse(query), undefined, {}).cost).toBe(1 + 10 * 2 + 10);
  });

  it('takes the names COST_SLICING_ARGUMENTS gives', () => {
    const config = readDemandControlConfig({ COST_SLICING_ARGUMENTS: 'count, first' });
    expect(config.slicingArguments).toEqual(['count', 'first']);
    const { estimator } = estimatorWith(config.slicingArguments);
    expect(estimator.analyze(parse('{ tags(count: 4) { name } }'), undefined, {}).cost).toBe(4);
    expect(estimator.analyze(parse('{ search(limit: 3) { name } }'), undefined, {}).cost).toBe(10);
    expect(readDemandControlConfig({}).slicingArguments).toEqual(['first', 'last', 'limit', 'pageSize', 'take']);
    expect(readDemandControlConfig({ COST_SLICING_ARGUMENTS: 'none' }).slicingArguments).toEqual([]);
    expect(() => readDemandControlConfig({ COST_SLICING_ARGUMENTS: 'first,page-size' })).toThrow(
      /COST_SLICING_ARGUMENTS must be argument names separated by commas \(or none\), got 'first,page-size'/,
    );
  });

  it('summarises in one line what is sized how', () => {
    const { summary } = estimatorWith(DEFAULT_SLICING_ARGUMENTS);
    expect(summary.inferred).toEqual(['Query.search(limit, pageSize)', 'Query.topProducts(first)', 'Query.users(first)']);
    expect(summary.sizedByConnection).toEqual(['UserConnection.edges', 'UserConnection.nodes']);
    expect(summary.fallingBack).toEqual(['Product.reviews', 'Query.tags', 'User.reviews']);
    expect(summary.line).toBe(
      'cost model: 8 list fields; 0 sized by @listSize, 3 by an inferred slicing argument (Query.search(limit, pageSize), Query.topProducts(first), Query.users(first)), 2 by their connection field, 3 falling back to COST_DEFAULT_LIST_SIZE=10 (Product.reviews, Query.tags, User.reviews)',
    );
  });

  it('leaves our own supergraph’s prices alone: every list there is annotated or sized by its connection', () => {
    const prepared = prepareSupergraph(fs.readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8'));
    const ours = composeServices(
      ['account', 'product', 'order'].map((name) => ({
        name,
        url: `http://${name}`,
        typeDefs: parse(fs.readFileSync(projectPath('subgraphs', name, 'schema.graphql'), 'utf8')),
      })),
    );
    if (ours.errors) throw new Error('our subgraphs do not compose');
    const model = new CostModel(prepared.document);
    const before = new Map(model.listSizes);
    const summary = inferListSizes(model, ours.schema.toAPISchema().toGraphQLJSSchema(), DEFAULT_SLICING_ARGUMENTS, 10);
    expect({ inferred: summary.inferred, fallingBack: summary.fallingBack }).toEqual({ inferred: [], fallingBack: [] });
    expect(model.listSizes).toEqual(before);
  });
});
