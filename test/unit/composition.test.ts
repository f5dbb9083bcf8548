import fs from 'node:fs';
import { buildSchema, parse } from 'graphql';
import { subgraphsOf } from '../../router';
import { deprecationChanges } from '../../schema/checkSchema';
import { composeSupergraph, readSubgraphSources } from '../../schema/composeSupergraph';
import { projectPath } from '../../shared';

describe('composition', () => {
  it('the committed schema/supergraph.graphql is what the subgraph SDL composes to (run npm run compose)', () => {
    const result = composeSupergraph(readSubgraphSources());
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(fs.readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8')).toBe(result.supergraphSdl);
  });

  it('names every subgraph with its default URL in the supergraph', () => {
    const result = composeSupergraph(readSubgraphSources());
    if (!result.ok) throw new Error('composition failed');
    expect(subgraphsOf(parse(result.supergraphSdl))).toEqual([
      { name: 'account', url: 'http://localhost:4001/graphql' },
      { name: 'order', url: 'http://localhost:4003/graphql' },
      { name: 'product', url: 'http://localhost:4002/graphql' },
    ]);
  });

  it('reports a type conflict with the subgraphs involved and a composition code', () => {
    const sources = readSubgraphSources().map((source) =>
      source.name === 'order'
        ? {
            ...source,
            sdl: source.sdl.replace('quantity: Int!', 'quantity: Int!\n  amountDue: String').replace('amount: String!', 'amount: Int!'),
          }
        : source,
    );
    const result = composeSupergraph(sources);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const conflict = result.problems.find((problem) => problem.message.includes('Money.amount'));
    expect(conflict).toBeDefined();
    expect(conflict?.subgraphs.sort()).toEqual(['order', 'product']);
    expect(conflict?.code).toMatch(/^[A-Z_]+$/);
  });

  it('reports SDL that does not parse against its subgraph', () => {
    const sources = readSubgraphSources().map((source) => (source.name === 'account' ? { ...source, sdl: 'type User {' } : source));
    const result = composeSupergraph(sources);
    expect(result).toMatchObject({ ok: false, problems: [{ code: 'INVALID_GRAPHQL', subgraphs: ['account'] }] });
  });
});

describe('deprecations between two API schemas', () => {
  it('reports deprecations added, removed and reworded on fields, arguments, input fields and enum values', () => {
    const before = buildSchema(`
      enum Sort { NEWEST OLDEST @deprecated(reason: "Use NEWEST.") }
      input Filter { q: String tag: String }
      type Query { items(filter: Filter, sort: Sort, limit: Int): [String] old: String @deprecated(reason: "Gone soon.") kept: String }
    `);
    const after = buildSchema(`
      enum Sort { NEWEST @deprecated(reason: "Sorting is automatic.") OLDEST }
      input Filter { q: String tag: String @deprecated(reason: "Use q.") }
      type Query { items(filter: Filter, sort: Sort, limit: Int @deprecated(reason: "Use first.")): [String] old: String @deprecated(reason: "Gone in May.") kept: String added: String @deprecated }
    `);
    expect(deprecationChanges(before, after).map(({ type, message }) => `${type} ${message}`)).toEqual([
      'ENUM_VALUE_DEPRECATED Sort.NEWEST is deprecated: Sorting is automatic.',
      'ENUM_VALUE_DEPRECATION_REMOVED Sort.OLDEST is no longer deprecated.',
      'INPUT_FIELD_DEPRECATED Filter.tag is deprecated: Use q.',
      'ARGUMENT_DEPRECATED Query.items(limit:) is deprecated: Use first.',
      'FIELD_DEPRECATION_REASON_CHANGED Query.old is deprecated for another reason: Gone in May.',
    ]);
  });
});
