import { buildSchema, getOperationAST, type OperationDefinitionNode, parse } from 'graphql';
import { inputCoordinatesOf, inputVariablesOf, UsageRecorder, type UsageRow, type UsageStore, usedDocumentId } from '../../router';
import type { DocumentUse } from '../../router/usage/UsageStore';
import type { Logger } from '../../shared';
import { recordRequest } from '../helpers/recordRequest';

/** An in-memory stand-in for the usage store: this tests the recorder's counting, not the database. */
function memoryStore() {
  const written: UsageRow[] = [];
  const store = { add: async (rows: UsageRow[]) => void written.push(...rows), close: async () => {} } as unknown as UsageStore;
  return { store, written };
}

describe('UsageRecorder counting', () => {
  it('counts per UTC day, client, operation and coordinate, and starts a new day at midnight UTC', async () => {
    const { store, written } = memoryStore();
    const recorder = new UsageRecorder(store, {} as Logger, 60_000);
    const beforeMidnight = Date.UTC(2026, 10, 27, 23, 59, 59, 999);
    recorder.record(['Query.me', 'User.orders'], { name: 'web', version: '1.0' }, 'MyOrders', beforeMidnight);
    recorder.record(['Query.me'], { name: 'web', version: '1.0' }, 'MyOrders', beforeMidnight - 3_600_000);
    recorder.record(['Query.me'], { name: 'ios', version: '2.0' }, 'MyOrders', beforeMidnight);
    recorder.record(['Query.me'], { name: 'web', version: '1.0' }, 'MyOrders', beforeMidnight + 1);
    // A clock that goes back (another day than the one remembered) is counted on its own day.
    recorder.record(['Query.me'], { name: 'web', version: '1.0' }, 'MyOrders', new Date(Date.UTC(2026, 10, 20, 12)));
    await recorder.flush();
    const rows = written.map(({ day, client, coordinate, count }) => `${day} ${client} ${coordinate} ${count}`).sort();
    expect(rows).toEqual([
      '2026-11-20 web@1.0 Query.me 1',
      '2026-11-27 ios@2.0 Query.me 1',
      '2026-11-27 web@1.0 Query.me 2',
      '2026-11-27 web@1.0 User.orders 1',
      '2026-11-28 web@1.0 Query.me 1',
    ]);
    // Flushed counts are not written twice.
    written.length = 0;
    await recorder.flush();
    expect(written).toEqual([]);
  });
});

const SCHEMA = buildSchema(`
  enum Sort { NEWEST CHEAPEST }
  input Range { min: Int max: Int }
  input Filter { search: String price: Range sort: Sort tags: [String!] and: [Filter!] }
  type Item { id: ID! name: String! }
  type Query { items(filter: Filter, sort: Sort, first: Int): [Item!]! item(id: ID!): Item }
  type Mutation { rename(id: ID!, name: String!): Item }
`);

function operationOf(query: string, name?: string): OperationDefinitionNode {
  const operation = getOperationAST(parse(query), name);
  if (!operation) throw new Error(`no operation ${name ?? ''} in ${query}`);
  return operation;
}

/** One request through the recorder's plugin, on SCHEMA. */
function request(recorder: UsageRecorder, query: string, variables: Record<string, unknown>, operationName?: string) {
  return recordRequest(recorder, SCHEMA, query, variables, { operationName });
}

describe('input values passed in variables', () => {
  it('reads input fields and enum values by the variable’s type, ignoring what the type does not have', () => {
    const variables = inputVariablesOf(SCHEMA, operationOf('query($f: Filter, $s: Sort, $id: ID!) { items { id } }'));
    expect(variables.map((v) => v.name)).toEqual(['f', 's']);
    const used = new Set<string>();
    inputCoordinatesOf(
      {
        search: 'saw',
        price: { max: 10, currency: 'EUR' },
        sort: 'OLDEST',
        // A recursive input type, and a single value where a list is expected (coerced to a list of one).
        and: { sort: 'CHEAPEST', and: [{ price: { min: 1 } }] },
        unknown: { search: 'x' },
      },
      variables[0].plan,
      used,
    );
    inputCoordinatesOf('NEWEST', variables[1].plan, used);
    expect([...used].sort()).toEqual(
      ['Filter.and', 'Filter.price', 'Filter.search', 'Filter.sort', 'Range.max', 'Range.min', 'Sort.CHEAPEST', 'Sort.NEWEST'].sort(),
    );
  });

  it('has nothing to do per request for an operation whose variables are all scalars', () => {
    expect(inputVariablesOf(SCHEMA, operationOf('query Item($id: ID!, $n: Int) { item(id: $id) { name } }'))).toEqual([]);
  });

  it('counts per request what each request’s variables use, the root type once, and a coordinate once per request', async () => {
    const { store, written } = memoryStore();
    const recorder = new UsageRecorder(store, {} as Logger, 60_000);
    // The same document (one cache entry) with other values: each request counts its own.
    const query = 'query Items($filter: Filter) { items(filter: $filter, sort: NEWEST) { id } }';
    await request(recorder, query, { filter: { search: 'a', sort: 'NEWEST' } });
    await request(recorder, query, { filter: { price: { min: 1 }, and: [{ search: 'b' }, { search: 'c' }] } });
    await request(recorder, query, {});
    // Two operations in one document: each request counts the operation it runs (with its fragments), and its root type.
    const both =
      'query Item { item(id: "1") { ...Named } } fragment Named on Item { name } mutation Rename { rename(id: "1", name: "x") { id } }';
    await request(recorder, both, {}, 'Rename');
    await request(recorder, both, {}, 'Item');
    await recorder.flush();
    const counts = Object.fromEntries(written.map((row) => [`${row.operation} ${row.coordinate}`, row.count]));
    expect(counts).toEqual({
      'Items Query': 3,
      'Items Query.items': 3,
      'Items Query.items(filter:)': 3,
      'Items Query.items(sort:)': 3,
      // In the document as a literal: counted once per request, whatever the variables hold.
      'Items Sort.NEWEST': 3,
      'Items Item.id': 3,
      'Items Filter.search': 2,
      'Items Filter.sort': 1,
      'Items Filter.price': 1,
      'Items Range.min': 1,
      'Items Filter.and': 1,
      'Rename Mutation': 1,
      'Rename Mutation.rename': 1,
      'Rename Mutation.rename(id:)': 1,
      'Rename Mutation.rename(name:)': 1,
      'Rename Item.id': 1,
      'Item Query': 1,
      'Item Query.item': 1,
      'Item Query.item(id:)': 1,
      'Item Item.name': 1,
    });
  });
});

describe('variable defaults in the operation', () => {
  it('counts what a variable’s default uses when a request leaves the variable out, and only then', async () => {
    const { store, written } = memoryStore();
    const recorder = new UsageRecorder(store, {} as Logger, 60_000);
    const query =
      'query Defaults($s: Sort = CHEAPEST, $f: Filter = { search: "x", price: { min: 1 } }) { items(filter: $f, sort: $s) { id } }';
    await request(recorder, query, {});
    await request(recorder, query, {});
    // Given: the request's values, not the defaults; an explicit null is a value too (no default applies).
    await request(recorder, query, { s: 'NEWEST', f: { tags: ['a'] } });
    await request(recorder, query, { s: null });
    await recorder.flush();
    const counts = Object.fromEntries(written.map((row) => [row.coordinate, row.count]));
    expect(counts).toEqual({
      Query: 4,
      'Query.items': 4,
      'Query.items(filter:)': 4,
      'Query.items(sort:)': 4,
      'Item.id': 4,
      'Sort.CHEAPEST': 2,
      'Sort.NEWEST': 1,
      'Filter.search': 3,
      'Filter.price': 3,
      'Range.min': 3,
      'Filter.tags': 1,
    });
  });
});

describe('UsageRecorder: the documents it counts for plan warming', () => {
  it('counts at most keepDocuments distinct documents between two flushes, by document and operation name as sent', async () => {
    const written: DocumentUse[] = [];
    const store = {
      addDocuments: async (uses: DocumentUse[]) => void written.push(...uses),
      close: async () => {},
    } as unknown as UsageStore;
    const recorder = new UsageRecorder(store, {} as Logger, 60_000, 2);
    recorder.recordDocument('h1', 'A', '{ a }');
    recorder.recordDocument('h1', 'A', '{ a }');
    // The same document without an operation name is another plan-cache key, so another entry.
    recorder.recordDocument('h1', null, '{ a }');
    // Past the bound: not counted until the next flush.
    recorder.recordDocument('h2', 'B', '{ b }');
    recorder.recordDocument('h3', 'C', `{ ${'c '.repeat(9_000)}}`);
    await recorder.flush();
    expect(written.map(({ id, operationName, count }) => [id, operationName, count])).toEqual([
      [usedDocumentId('A', '{ a }'), 'A', 2],
      [usedDocumentId(null, '{ a }'), null, 1],
    ]);
    written.length = 0;
    recorder.recordDocument('h2', 'B', '{ b }');
    // Over 16 KiB: never recorded.
    recorder.recordDocument('h3', 'C', `{ ${'c '.repeat(9_000)}}`);
    await recorder.flush();
    expect(written.map(({ operationName, count }) => [operationName, count])).toEqual([['B', 1]]);
  });
});
