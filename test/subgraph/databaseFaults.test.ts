import { QueryFailedError } from 'typeorm';
import { startCuttableRelay } from '../../scripts/lib/net';
import {
  developmentSubgraphSecret,
  isDatabaseUnavailable,
  openDataSource,
  ROUTER_CREDENTIAL_HEADER,
  type SubgraphServer,
} from '../../shared';
import { createAccountSubgraph } from '../../subgraphs/account/server';
import { insertUsers } from '../helpers/fixtures';
import { silentLogger, testSubgraphConfig } from '../helpers/subgraphHarness';
import { dropMysqlDatabase, subgraphDatabases, testDatabaseConfig, testDatabaseKind } from '../helpers/testDatabase';

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('database errors that mean the server is unreachable', () => {
  it('reads connection failures as unavailable (SERVICE_UNAVAILABLE), and nothing else', () => {
    for (const code of ['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ER_SERVER_SHUTDOWN']) {
      expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], Object.assign(new Error(code), { code })))).toBe(true);
    }
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }))).toBe(true);
    for (const code of ['ER_DUP_ENTRY', 'ER_PARSE_ERROR', 'SQLITE_CONSTRAINT_UNIQUE']) {
      expect(isDatabaseUnavailable(new QueryFailedError('INSERT', [], Object.assign(new Error(code), { code })))).toBe(false);
    }
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
  });
});

describe(`a subgraph when its database goes away and comes back (${testDatabaseKind})`, () => {
  // SQLite is a file in the process: it cannot go away. This runs in the MySQL pass of the suite (CI runs both).
  if (testDatabaseKind === 'sqlite') return;

  let relay: Awaited<ReturnType<typeof startCuttableRelay>>;
  let subgraph: SubgraphServer<any>;
  let closeDatabase: () => Promise<void>;
  let base: string;
  const direct = testDatabaseConfig('account', 'dbfault');

  beforeAll(async () => {
    if (direct.kind !== 'mysql') throw new Error('MySQL only');
    await dropMysqlDatabase(direct);
    relay = await startCuttableRelay(direct.host, direct.port);
    const config = { ...direct, host: '127.0.0.1', port: relay.port, connectTimeoutMs: 1_000 };
    const { dataSource } = await openDataSource(config, subgraphDatabases.account);
    closeDatabase = () => dataSource.destroy();
    await insertUsers(dataSource, [{ id: 1, name: 'Ada' }]);
    subgraph = await createAccountSubgraph({
      dataSource,
      logger: silentLogger,
      config: { ...testSubgraphConfig('account', { config }) },
    });
    base = `http://127.0.0.1:${await subgraph.listen(0)}`;
  });
  afterAll(async () => {
    await subgraph?.stop();
    await closeDatabase?.();
    await relay?.close();
    if (direct.kind === 'mysql') await dropMysqlDatabase(direct);
  });

  const ready = async () => (await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(5_000) })).status;
  const ask = async () => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ROUTER_CREDENTIAL_HEADER]: developmentSubgraphSecret('account') },
      body: JSON.stringify({ query: '{ _entities(representations: [{ __typename: "User", id: "1" }]) { ... on User { name } } }' }),
      signal: AbortSignal.timeout(10_000),
    });
    return (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  };

  it('answers, goes not ready with a clear error (no hang) while the database is gone, and recovers without a restart', async () => {
    expect(await ready()).toBe(200);
    expect((await ask()).data).toEqual({ _entities: [{ name: 'Ada' }] });

    relay.cut();
    expect(await until(async () => (await ready()) === 503, 5_000)).toBe(true);
    const started = Date.now();
    const failed = await ask();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failed.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(JSON.stringify(failed)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|3306/);

    relay.restore();
    expect(await until(async () => (await ready()) === 200, 10_000)).toBe(true);
    expect((await ask()).data).toEqual({ _entities: [{ name: 'Ada' }] });
  });
});
