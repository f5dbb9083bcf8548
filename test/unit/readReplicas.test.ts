import { ConfigError, gtidDialect, MemoryWritePositions, parseMariadbPosition, parseMysqlGtidSet, readDatabaseConfig } from '../../shared';

const UUID_A = '3E11FA47-71CA-11E1-9E33-C80AA9429562';
const UUID_B = '7c4e8a2e-0b1f-11ef-8f00-0242ac120002';

describe('GTID positions in both dialects', () => {
  it('reads a MariaDB position: one domain-server-seq per domain, ranked by the sum of sequence numbers', () => {
    expect(parseMariadbPosition('0-1-4711')).toEqual({ text: '0-1-4711', rank: 4711 });
    expect(parseMariadbPosition('0-1-4711,1-2-17')).toEqual({ text: '0-1-4711,1-2-17', rank: 4728 });
    // A primary that has written nothing yet.
    expect(parseMariadbPosition('')).toEqual({ text: '', rank: 0 });
    expect(() => parseMariadbPosition('3E11FA47:1-5')).toThrow(/not a MariaDB GTID position/);
  });

  it('reads a MySQL GTID set, line breaks and 8.4 tags included, ranked by the transactions it holds', () => {
    expect(parseMysqlGtidSet(`${UUID_A}:1-5:7`)).toEqual({ text: `${UUID_A}:1-5:7`, rank: 6 });
    // gtid_executed breaks lines after commas; the set is passed back without them.
    expect(parseMysqlGtidSet(`${UUID_A}:1-100,\n${UUID_B}:1-3`)).toEqual({ text: `${UUID_A}:1-100,${UUID_B}:1-3`, rank: 103 });
    expect(parseMysqlGtidSet(`${UUID_A}:1-10:checkout:1-2`).rank).toBe(12);
    expect(parseMysqlGtidSet('').rank).toBe(0);
    expect(() => parseMysqlGtidSet('0-1-4711')).toThrow(/not a MySQL GTID set/);
  });

  it('picks the dialect from VERSION()', () => {
    expect(gtidDialect('10.11.19-MariaDB-0+deb12u1').flavor).toBe('mariadb');
    expect(gtidDialect('8.4.3').flavor).toBe('mysql');
  });

  it('on MariaDB reads gtid_binlog_pos and gtid_slave_pos, and waits with MASTER_GTID_WAIT (0 reached, -1 timed out)', () => {
    const mariadb = gtidDialect('10.11.19-MariaDB');
    expect(mariadb.primaryPositionSql).toBe("SHOW GLOBAL VARIABLES LIKE 'gtid_binlog_pos'");
    expect(mariadb.replicaPositionSql).toBe("SHOW GLOBAL VARIABLES LIKE 'gtid_slave_pos'");
    expect(mariadb.waitSql('0-1-4711', 100)).toEqual({ sql: 'SELECT MASTER_GTID_WAIT(?, ?) AS waited', params: ['0-1-4711', 0.1] });
    expect([0, '0', -1, null].map((waited) => mariadb.reached(waited))).toEqual([true, true, false, false]);
  });

  it('on MySQL reads gtid_executed on both, and waits with WAIT_FOR_EXECUTED_GTID_SET (0 reached, 1 timed out)', () => {
    const mysql = gtidDialect('8.4.3');
    expect(mysql.primaryPositionSql).toBe("SHOW GLOBAL VARIABLES LIKE 'gtid_executed'");
    expect(mysql.replicaPositionSql).toBe("SHOW GLOBAL VARIABLES LIKE 'gtid_executed'");
    expect(mysql.waitSql(`${UUID_A}:1-5`, 250)).toEqual({
      sql: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS waited',
      params: [`${UUID_A}:1-5`, 0.25],
    });
    // 0 would mean "no timeout" to MySQL: the shortest wait sent is 1 ms.
    expect(mysql.waitSql(`${UUID_A}:1-5`, 0).params[1]).toBe(0.001);
    expect([0, 1, null].map((waited) => mysql.reached(waited))).toEqual([true, false, false]);
  });
});

describe('remembered write positions (in-process store)', () => {
  it("keeps a caller's latest position for the window, per database, and forgets it after", async () => {
    let now = 1_000;
    const positions = new MemoryWritePositions(10_000, () => now);
    await positions.remember('orders', '7', { text: '0-1-10', rank: 10 });
    expect(await positions.recall('orders', '7')).toEqual({ text: '0-1-10', rank: 10 });
    expect(await positions.recall('product', '7')).toBeNull();
    expect(await positions.recall('orders', '8')).toBeNull();
    now += 9_999;
    expect(await positions.recall('orders', '7')).not.toBeNull();
    now += 1;
    expect(await positions.recall('orders', '7')).toBeNull();
  });

  it('keeps the later of two positions whatever order they arrive in, and each write restarts the window', async () => {
    let now = 0;
    const positions = new MemoryWritePositions(1_000, () => now);
    await positions.remember('orders', '7', { text: '0-1-20', rank: 20 });
    now = 900;
    // A slower request of the same caller reports an earlier position after the later one.
    await positions.remember('orders', '7', { text: '0-1-15', rank: 15 });
    now = 1_500;
    expect(await positions.recall('orders', '7')).toEqual({ text: '0-1-20', rank: 20 });
  });
});

describe('replica configuration', () => {
  const primary = { DATABASE_URL: 'mysql://app:pw@db-primary:3306' };

  it('adds the replicas of DATABASE_REPLICA_URLS to each subgraph, with its database name and the defaults', () => {
    const config = readDatabaseConfig(
      { ...primary, DATABASE_REPLICA_URLS: 'mysql://reader:pw2@db-r1:3306, mysql://reader:pw2@db-r2:3307' },
      'order',
    );
    expect(config).toMatchObject({
      kind: 'mysql',
      host: 'db-primary',
      database: 'orders',
      replication: {
        replicas: [
          { host: 'db-r1', port: 3306, user: 'reader', password: 'pw2', database: 'orders' },
          { host: 'db-r2', port: 3307, user: 'reader', password: 'pw2', database: 'orders' },
        ],
        maxLagMs: 1000,
        checkIntervalMs: 1000,
        waitMs: 100,
        readYourWritesWindowMs: 10_000,
        redisUrl: null,
      },
    });
  });

  it('lets <SUB>_DATABASE_REPLICA_URLS win for that subgraph, and reads the settings and REDIS_URL', () => {
    const env = {
      ...primary,
      DATABASE_REPLICA_URLS: 'mysql://root@shared-replica:3306',
      PRODUCT_DATABASE_REPLICA_URLS: 'mysql://root@product-replica:3306',
      DATABASE_REPLICA_MAX_LAG_MS: '2500',
      DATABASE_REPLICA_CHECK_INTERVAL_MS: '500',
      DATABASE_REPLICA_WAIT_MS: '50',
      DATABASE_READ_YOUR_WRITES_WINDOW_MS: '30000',
      REDIS_URL: 'redis://cache:6379',
    };
    expect(readDatabaseConfig(env, 'product')).toMatchObject({
      replication: {
        replicas: [{ host: 'product-replica' }],
        maxLagMs: 2500,
        checkIntervalMs: 500,
        waitMs: 50,
        readYourWritesWindowMs: 30_000,
        redisUrl: 'redis://cache:6379',
      },
    });
    expect(readDatabaseConfig(env, 'account')).toMatchObject({ replication: { replicas: [{ host: 'shared-replica' }] } });
    // Without replicas, nothing changes: no replication section at all.
    expect(readDatabaseConfig(primary, 'account')).not.toHaveProperty('replication');
  });

  it('refuses replicas without a MySQL primary, an empty URL, and a window too short to cover the lag', () => {
    expect(() => readDatabaseConfig({ DATABASE_REPLICA_URLS: 'mysql://root@r:3306' }, 'order')).toThrow(
      new ConfigError('DATABASE_REPLICA_URLS needs a MySQL primary: set ORDER_DATABASE_URL or DATABASE_URL too (SQLite has no replicas)'),
    );
    expect(() => readDatabaseConfig({ ...primary, DATABASE_REPLICA_URLS: 'mysql://root@r:3306,' }, 'order')).toThrow(/an empty one/);
    expect(() =>
      readDatabaseConfig(
        {
          ...primary,
          DATABASE_REPLICA_URLS: 'mysql://root@r:3306',
          DATABASE_REPLICA_MAX_LAG_MS: '5000',
          DATABASE_READ_YOUR_WRITES_WINDOW_MS: '8000',
        },
        'order',
      ),
    ).toThrow(/must exceed DATABASE_REPLICA_MAX_LAG_MS plus four DATABASE_REPLICA_CHECK_INTERVAL_MS \(9000\), got 8000/);
    expect(() =>
      readDatabaseConfig({ ...primary, DATABASE_REPLICA_URLS: 'mysql://root@r:3306', DATABASE_REPLICA_CHECK_INTERVAL_MS: '10' }, 'order'),
    ).toThrow(/DATABASE_REPLICA_CHECK_INTERVAL_MS must be a whole number from 250/);
  });
});
