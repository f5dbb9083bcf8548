import { DataSource } from 'typeorm';
import { sqliteDriver } from '../../shared/db/sqliteDriver';

const major = Number(process.versions.node.split('.')[0]);

describe('the better-sqlite3 build for this Node', () => {
  it(`is better-sqlite3 ${major >= 22 ? '13 (the better-sqlite3-13 alias)' : '12'} on Node ${major}`, () => {
    const driver = sqliteDriver();
    const expected = major >= 22 ? 'better-sqlite3-13' : 'better-sqlite3';
    expect(driver).toBe(require(expected));
    expect(require(`${expected}/package.json`).version).toMatch(major >= 22 ? /^13\./ : /^12\./);
  });

  it('is the driver TypeORM runs statements on', async () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', driver: sqliteDriver(), database: ':memory:' });
    await dataSource.initialize();
    try {
      expect((dataSource.driver as unknown as { sqlite: unknown }).sqlite).toBe(sqliteDriver());
      expect(await dataSource.query('SELECT sqlite_version() AS version')).toEqual([{ version: expect.stringMatching(/^3\./) }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('says how to fix a Node 22+ install without better-sqlite3 13', () => {
    if (major >= 22) return expect(sqliteDriver('22.12.0')).toBe(require('better-sqlite3-13'));
    // On Node 20 npm leaves the optional better-sqlite3-13 out (its engines say Node 22): asking for it explains.
    expect(() => sqliteDriver('22.12.0')).toThrow(/better-sqlite3 13 .* is not installed for Node 22.12.0: run npm ci with this Node/);
  });
});
