import type { SubgraphServer } from '../../shared';
import { type AccountContext, createAccountSubgraph } from '../../subgraphs/account/server';
import { insertUsers } from '../helpers/fixtures';
import { execute, silentLogger, testSubgraphConfig } from '../helpers/subgraphHarness';
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../helpers/testDatabase';

describe(`account subgraph on ${testDatabaseKind}`, () => {
  let database: TestDatabase;
  let subgraph: SubgraphServer<AccountContext>;

  beforeAll(async () => {
    database = await openTestDatabase('account', 'account');
    subgraph = await createAccountSubgraph({
      dataSource: database.dataSource,
      logger: silentLogger,
      config: testSubgraphConfig('account', database),
    });
    await insertUsers(database.dataSource, [
      { id: 1, name: 'Ada', email: 'ada@example.test' },
      { id: 2, name: 'Bea', email: 'bea@example.test' },
    ]);
  });
  afterAll(async () => {
    await subgraph.stop();
    await database.drop();
  });

  it('answers user(id) with its fields, and null for unknown or malformed ids', async () => {
    const result = await execute(
      subgraph,
      '{ a: user(id: "1") { id name email createdAt } b: user(id: "3") { id } c: user(id: "x") { id } }',
      {},
      { 'x-user-id': '1' },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      a: { id: '1', name: 'Ada', email: 'ada@example.test', createdAt: '2026-01-01T00:00:01.000Z' },
      b: null,
      c: null,
    });
  });

  it('answers me from the identity header, null without one', async () => {
    expect((await execute(subgraph, '{ me { name } }', {}, { 'x-user-id': '2' })).data).toEqual({ me: { name: 'Bea' } });
    expect((await execute(subgraph, '{ me { name } }')).data).toEqual({ me: null });
  });

  it('resolves many User references with one statement', async () => {
    const before = database.statements.count;
    const result = await execute(subgraph, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }', {
      r: [1, 2, 9, 1].map((id) => ({ __typename: 'User', id: String(id) })),
    });
    expect(result.data._entities).toEqual([{ id: '1', name: 'Ada' }, { id: '2', name: 'Bea' }, null, { id: '1', name: 'Ada' }]);
    expect(database.statements.count - before).toBe(1);
  });

  it('enforces @authenticated itself, for calls that did not pass the router checks', async () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email addresses { city } } } }';
    const representations = { r: [{ __typename: 'User', id: '1' }] };
    const anonymous = await execute(subgraph, query, representations);
    expect(anonymous.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    const other = await execute(subgraph, query, representations, { 'x-user-id': '2' });
    expect(other.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    const self = await execute(subgraph, query, representations, { 'x-user-id': '1' });
    expect(self.data._entities).toEqual([{ email: 'ada@example.test', addresses: [] }]);
  });

  it('publishes its SDL through _service for composition', async () => {
    const result = await execute(subgraph, '{ _service { sdl } }');
    expect(result.data._service.sdl).toContain('type User');
  });
});
