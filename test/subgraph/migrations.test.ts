import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openDataSource, projectPath, SUBGRAPH_NAMES } from '../../shared';
import { openTestDatabase, subgraphDatabases, type TestDatabase, testDatabaseKind } from '../helpers/testDatabase';

const execFileAsync = promisify(execFile);

describe(`migrations on ${testDatabaseKind}`, () => {
  describe.each(SUBGRAPH_NAMES)('the %s subgraph', (subgraph) => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await openTestDatabase(subgraph, 'migrations');
    });
    afterAll(() => database.drop());

    it('leaves nothing for TypeORM to change: the schema diff after migrations is empty', async () => {
      const diff = await database.dataSource.driver.createSchemaBuilder().log();
      expect(diff.upQueries.map((query) => query.query)).toEqual([]);
    });

    it('records every migration as applied, and a second run applies nothing', async () => {
      const migrations = database.dataSource.migrations.map((migration) => migration.name);
      expect(migrations.length).toBeGreaterThan(0);
      expect(await database.dataSource.showMigrations()).toBe(false);
      expect(await database.dataSource.runMigrations()).toEqual([]);
    });

    it('can be rolled back and applied again (down migrations work)', async () => {
      const count = database.dataSource.migrations.length;
      for (let i = 0; i < count; i++) await database.dataSource.undoLastMigration();
      expect(await database.dataSource.showMigrations()).toBe(true);
      await database.dataSource.runMigrations();
      const diff = await database.dataSource.driver.createSchemaBuilder().log();
      expect(diff.upQueries).toEqual([]);
    });
  });
});

describe(`migrations under a lock on ${testDatabaseKind}`, () => {
  it('lets several processes open one fresh database at once: one migrates, the others wait and find it done', async () => {
    const fresh = await openTestDatabase('order', 'lock');
    await fresh.drop(); // a fresh, empty database (or file) for the race below
    // Separate processes (the compiled code that `npm test` builds first), as replicas starting together would be.
    const script = `
      require('reflect-metadata');
      const { openDataSource } = require('./dist/shared');
      const { orderDatabase } = require('./dist/subgraphs/order/database');
      openDataSource(JSON.parse(process.argv[1]), orderDatabase)
        .then(({ dataSource }) => dataSource.destroy())
        .then(() => process.exit(0), (error) => { console.error(error.message); process.exit(1); });`;
    const results = await Promise.all(
      Array.from({ length: 3 }, () =>
        execFileAsync(process.execPath, ['-e', script, JSON.stringify(fresh.config)], { cwd: projectPath() }),
      ),
    );
    expect(results.map((result) => result.stderr)).toEqual(['', '', '']);
    const reopened = await openDataSource(fresh.config, subgraphDatabases.order);
    try {
      const applied = await reopened.dataSource.query('SELECT COUNT(*) AS n FROM migrations');
      expect(Number(applied[0].n)).toBe(reopened.dataSource.migrations.length);
      expect((await reopened.dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    } finally {
      await reopened.dataSource.destroy();
      await fresh.drop();
    }
  });
});
