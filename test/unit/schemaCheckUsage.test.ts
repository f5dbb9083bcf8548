import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSchema, findBreakingChanges, type GraphQLSchema } from 'graphql';
import { UsageRecorder, UsageStore } from '../../router';
import { apiSchemaOf, checkSubgraph } from '../../schema/checkSchema';
import { composeSupergraph, readSubgraphSources, type SubgraphSource } from '../../schema/composeSupergraph';
import { coordinatesOfChange } from '../../schema/coordinatesOfChange';
import { createLogger, type DatabaseConfig, parseMysqlUrl, projectPath } from '../../shared';
import { recordRequest } from '../helpers/recordRequest';
import { dropMysqlDatabase } from '../helpers/testDatabase';

/**
 * `schema check` against usage the router's own recorder wrote (its plugin, on the published API schema) into
 * a real usage store: the suite's MySQL server with TEST_DATABASE_URL, else a SQLite file.
 */
describe('schema check: a breaking change is judged by the usage that it breaks', () => {
  const config: DatabaseConfig = process.env.TEST_DATABASE_URL
    ? parseMysqlUrl(process.env.TEST_DATABASE_URL, 'TEST_DATABASE_URL', `t${process.env.JEST_WORKER_ID ?? '0'}_checkusage_router`, 2)
    : { kind: 'sqlite', file: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'check-usage-')), 'router.sqlite') };
  const published = fs.readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8');
  const MIN_REQUESTS = 20;
  let store: UsageStore;
  let api: GraphQLSchema;

  beforeAll(async () => {
    if (config.kind === 'mysql') await dropMysqlDatabase(config);
    api = await apiSchemaOf(published);
  });
  beforeEach(async () => {
    store = await UsageStore.open(config);
  });
  afterEach(async () => {
    await store.close();
    if (config.kind === 'mysql') await dropMysqlDatabase(config);
    else fs.rmSync(config.file, { force: true });
  });

  /** Records `MIN_REQUESTS` product reads, plus `checkouts` checkouts sending OrderItemInput values in variables. */
  async function recordTraffic(checkouts: number): Promise<void> {
    const recorder = new UsageRecorder(await UsageStore.open(config), createLogger('test', 'silent'), 60_000);
    for (let i = 0; i < MIN_REQUESTS; i++) await recordRequest(recorder, api, '{ product(id: "1") { name } }', {});
    const checkout = 'mutation Checkout($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
    for (let i = 0; i < checkouts; i++)
      await recordRequest(recorder, api, checkout, { input: { items: [{ productId: '1', quantity: 1 }] } }, { client: 'storefront' });
    await recorder.stop();
  }

  const withOrderSdl = (change: (sdl: string) => string): SubgraphSource[] =>
    readSubgraphSources().map((source) => (source.name === 'order' ? { ...source, sdl: change(source.sdl) } : source));
  const GIFT_WRAP = (sdl: string) =>
    sdl.replace('input OrderItemInput {\n', 'input OrderItemInput {\n  "Wrap this line as a gift."\n  giftWrap: Boolean!\n');
  const usage = () => ({ store, days: 7, minRequests: MIN_REQUESTS, allowUnknownUsage: false });

  it('blocks a required input field added to an input type that clients send, however much traffic the window holds', async () => {
    await recordTraffic(3);
    const report = await checkSubgraph(withOrderSdl(GIFT_WRAP), 'order', published, usage());
    expect(report.traffic).toMatchObject({ requests: MIN_REQUESTS + 3, enough: true });
    const change = report.changes.find((c) => c.type === 'REQUIRED_INPUT_FIELD_ADDED');
    expect(change).toMatchObject({ severity: 'breaking', blocking: true });
    // Found through the input field holding the type (the items given in the checkout's variables).
    expect(change?.usage).toContainEqual({
      coordinate: 'PlaceOrderInput.items',
      operations: ['Checkout'],
      clients: ['storefront'],
      count: 3,
    });
    expect(report.failures).toEqual(['BREAKING_CHANGE_IN_USE']);
    expect(report.ok).toBe(false);
  });

  it('passes the same change, with a warning, when nobody sent the input type in a window with enough traffic', async () => {
    await recordTraffic(0);
    const report = await checkSubgraph(withOrderSdl(GIFT_WRAP), 'order', published, usage());
    expect(report.changes.find((c) => c.type === 'REQUIRED_INPUT_FIELD_ADDED')).toMatchObject({ blocking: false, usage: [] });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('blocks a required argument added to a field that clients call', async () => {
    await recordTraffic(2);
    const sources = withOrderSdl((sdl) =>
      sdl.replace('placeOrder(input: PlaceOrderInput!)', 'placeOrder(input: PlaceOrderInput!, "Where to ship." shipTo: ID!)'),
    );
    const report = await checkSubgraph(sources, 'order', published, usage());
    expect(report.changes.find((c) => c.type === 'REQUIRED_ARG_ADDED')).toMatchObject({
      blocking: true,
      usage: [{ coordinate: 'Mutation.placeOrder', operations: ['Checkout'], clients: ['storefront'], count: 2 }],
    });
    expect(report.ok).toBe(false);
  });

  it('blocks removing a directive clients can use in operations: usage does not say who uses directives', async () => {
    await recordTraffic(0);
    const TRACE = (sdl: string) => `${sdl}\n"Traces this field."\ndirective @trace(level: Int) on FIELD\n`;
    // Published with an executable directive every subgraph defines (composition keeps it in the API schema).
    const composed = composeSupergraph(readSubgraphSources().map((source) => ({ ...source, sdl: TRACE(source.sdl) })));
    if (!composed.ok) throw new Error(JSON.stringify(composed.problems));
    const sources = readSubgraphSources().map((source) => (source.name === 'order' ? source : { ...source, sdl: TRACE(source.sdl) }));
    const report = await checkSubgraph(sources, 'order', composed.supergraphSdl, usage());
    expect(report.traffic).toMatchObject({ enough: true });
    expect(report.changes.filter((c) => c.severity === 'breaking')).toEqual([
      { severity: 'breaking', type: 'DIRECTIVE_REMOVED', message: 'trace was removed.', usage: [], blocking: true },
    ]);
    expect(report.failures).toEqual(['BREAKING_CHANGE_IN_USE']);
  });
});

describe('coordinatesOfChange', () => {
  const before = buildSchema(`
    directive @trace(level: Int) on FIELD
    directive @audit on QUERY
    enum Status { OPEN CANCELLED }
    input Line { sku: ID! }
    input Cart { lines: [Line!] status: Status = OPEN }
    type Order { id: ID! status: Status! }
    type Query { order(id: ID!): Order cart(cart: Cart): Int lines(line: Line, limit: Int): Int }
  `);
  const changesTo = (sdl: string) =>
    findBreakingChanges(before, buildSchema(sdl)).map((c) => ({
      type: c.type,
      coordinates: coordinatesOfChange({ type: c.type, message: c.description }, before, buildSchema(sdl)),
    }));

  it('names no coordinate for a directive change (usage does not record directives), so that it stays blocking', () => {
    expect(
      changesTo(`
        directive @trace(level: Int, sample: Float!) on FIELD
        enum Status { OPEN CANCELLED }
        input Line { sku: ID! }
        input Cart { lines: [Line!] status: Status = OPEN }
        type Order { id: ID! status: Status! }
        type Query { order(id: ID!): Order cart(cart: Cart): Int lines(line: Line, limit: Int): Int }
      `),
    ).toEqual([
      { type: 'DIRECTIVE_REMOVED', coordinates: [] },
      { type: 'REQUIRED_DIRECTIVE_ARG_ADDED', coordinates: [] },
    ]);
  });

  it('names every use of an input type for a required field added to it, and for an argument made required, every call', () => {
    const changes = changesTo(`
      directive @trace(level: Int) on FIELD
      directive @audit on QUERY
      enum Status { OPEN CANCELLED }
      input Line { sku: ID! qty: Int! }
      input Cart { lines: [Line!] status: Status = OPEN }
      type Order { id: ID! status: Status! }
      type Query { order(id: ID!): Order cart(cart: Cart): Int lines(line: Line, limit: Int!): Int }
    `);
    expect(changes.map((c) => ({ ...c, coordinates: c.coordinates.sort() }))).toEqual([
      { type: 'REQUIRED_INPUT_FIELD_ADDED', coordinates: ['Cart.lines', 'Line.', 'Query.lines(line:)'] },
      { type: 'ARG_CHANGED_KIND', coordinates: ['Query.lines'] },
    ]);
  });

  it('counts a default value as a use: of the argument’s field, and of every use of the input type holding it', () => {
    const schema = buildSchema(`
      input Line { sku: ID! }
      input Cart { lines: [Line!] = [{ sku: "gift" }] }
      type Query { cart(cart: Cart): Int lines(line: Line = { sku: "a" }): Int }
    `);
    const message = 'A required field qty on input type Line was added.';
    expect(coordinatesOfChange({ type: 'REQUIRED_INPUT_FIELD_ADDED', message }, schema, schema).sort()).toEqual(
      ['Cart.', 'Cart.lines', 'Line.', 'Query.cart(cart:)', 'Query.lines', 'Query.lines(line:)'].sort(),
    );
  });

  it('names a removed enum value and a removed input field', () => {
    const changes = changesTo(`
      directive @trace(level: Int) on FIELD
      directive @audit on QUERY
      enum Status { OPEN }
      input Line { sku: ID! }
      input Cart { lines: [Line!] }
      type Order { id: ID! status: Status! }
      type Query { order(id: ID!): Order cart(cart: Cart): Int lines(line: Line, limit: Int): Int }
    `);
    expect(changes).toEqual([
      { type: 'VALUE_REMOVED_FROM_ENUM', coordinates: ['Status.CANCELLED'] },
      { type: 'FIELD_REMOVED', coordinates: ['Cart.status'] },
    ]);
  });

  it('names nothing for a change type it does not know or a message of another form', () => {
    expect(coordinatesOfChange({ type: 'SOMETHING_NEW', message: 'Query.order was removed.' }, before, before)).toEqual([]);
    expect(coordinatesOfChange({ type: 'FIELD_REMOVED', message: 'A field order on Query was removed.' }, before, before)).toEqual([]);
  });
});
