import { isDatabaseOverload, openDataSource, statementTimeoutStatement } from '../../shared';
import { subgraphDatabases, testDatabaseConfig, testDatabaseKind } from '../helpers/testDatabase';

describe('statement timeouts in the dialect of the server', () => {
  it('uses max_statement_time (seconds) on MariaDB and max_execution_time (ms) on MySQL', () => {
    expect(statementTimeoutStatement('10.11.19-MariaDB-0+deb12u1', 2500)).toBe('SET SESSION max_statement_time = 2.500');
    expect(statementTimeoutStatement('8.4.3', 2500)).toBe('SET SESSION max_execution_time = 2500');
  });
});

describe(`a subgraph's database defends itself (${testDatabaseKind})`, () => {
  // SQLite has no server to time a statement out on, nor a pool: these run in the MySQL pass of the suite.
  if (testDatabaseKind === 'sqlite') return;

  it('stops a statement at the server-side timeout, and the error reads as an overload', async () => {
    const config = { ...testDatabaseConfig('product', 'limits'), statementTimeoutMs: 200 };
    const { dataSource } = await openDataSource(config, { ...subgraphDatabases.product, migrate: false });
    try {
      const slow = dataSource.query('SELECT SLEEP(3) AS slept');
      await expect(slow).rejects.toMatchObject({ driverError: { errno: expect.any(Number) } });
      expect(isDatabaseOverload(await slow.catch((error: unknown) => error))).toBe(true);
      // A new connection of the pool gets the same limit.
      const [a, b] = await Promise.allSettled([dataSource.query('SELECT SLEEP(3)'), dataSource.query('SELECT SLEEP(3)')]);
      expect([a.status, b.status]).toEqual(['rejected', 'rejected']);
    } finally {
      await dataSource.query(`DROP DATABASE IF EXISTS \`${config.kind === 'mysql' ? config.database : ''}\``);
      await dataSource.destroy();
    }
  });

  it('fails fast when the pool queue is full instead of queueing without bound', async () => {
    const config = { ...testDatabaseConfig('product', 'queue'), poolSize: 1, queueLimit: 1, statementTimeoutMs: 0 };
    const { dataSource } = await openDataSource(config, { ...subgraphDatabases.product, migrate: false });
    try {
      const results = await Promise.allSettled([0, 1, 2, 3].map(() => dataSource.query('SELECT SLEEP(0.3) AS slept')));
      const refused = results.filter((result) => result.status === 'rejected');
      expect(refused.length).toBeGreaterThanOrEqual(2);
      for (const result of refused) expect(isDatabaseOverload((result as PromiseRejectedResult).reason)).toBe(true);
    } finally {
      await dataSource.query(`DROP DATABASE IF EXISTS \`${config.kind === 'mysql' ? config.database : ''}\``);
      await dataSource.destroy();
    }
  });
});
