import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { readRouterConfig } from '../../router';
import { killServer, setReplicaDelay, startServer, waitForReplicaCatchUp } from '../../scripts/lib/replicaPair';
import {
  type DatabaseConfig,
  developmentSubgraphSecret,
  type FallbackReason,
  isDatabaseOverload,
  openDataSource,
  ReplicaReads,
  readWith,
  type ServerName,
  type SubgraphName,
  type SubgraphServer,
} from '../../shared';
import { orderDatabase } from '../../subgraphs/order/database';
import { DEFAULT_SWEEPER_OPTIONS } from '../../subgraphs/order/OrderConfig';
import { createOrderSubgraph } from '../../subgraphs/order/server';
import { productDatabase } from '../../subgraphs/product/database';
import { insertCategory, insertProducts, insertUsers } from '../helpers/fixtures';
import { sampleValue, scrape } from '../helpers/prometheus';
import { lockReplicaPair, replicaDatabaseConfig, type TestReplicaPair, testReplicaPair } from '../helpers/replicaPair';
import { INTERNAL_TOKEN, type Stack, startStack } from '../helpers/stack';
import { silentLogger, testSubgraphConfig } from '../helpers/subgraphHarness';

/**
 * Read replicas on a real MariaDB primary and GTID replica (`npm run replica -- start`; CI sets TEST_REPLICA_URLS
 * for the MySQL pass, and jest runs this file only then). The replica is held back with MASTER_DELAY so that it is
 * measurably behind: every read a caller makes right after their own write must show the write anyway, and
 * everyone else's reads must be answered by the replica, counted at each server.
 */
const MAX_LAG_MS = 4_000;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WRITERS = 20;
const PAIRS_PER_WRITER = 10;
/** A user who never writes: their reads are the replica's to answer. */
const READER = 900;
const INITIAL_STOCK = 100_000;
const SUBGRAPHS: SubgraphName[] = ['account', 'product', 'order'];

const PLACE_ORDER = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
/** Two subgraphs at once: the caller's orders (order subgraph) and their product's stock (product subgraph). */
const MY_ORDERS_AND_STOCK = 'query ($product: ID!) { me { orders(first: 3) { edges { node { id } } } } product(id: $product) { stock } }';
const READER_QUERY = '{ me { name orders(first: 3) { edges { node { id } } } } product(id: "1") { name } }';

describe('read replicas with read-your-writes (MariaDB primary and GTID replica)', () => {
  let pair: TestReplicaPair;
  let stack: Stack;
  /** A second order subgraph on the same databases (another pod), behind a router of its own. */
  let podB: { subgraph: SubgraphServer<any>; dataSource: DataSource; routerUrl: string; stopRouter: () => Promise<void> };
  const tokens = new Map<number, string>();
  /** Each writer orders only their own product, so the stock they read back is exactly theirs to predict. */
  const ordered = new Map<number, number>();

  function databaseConfig(subgraph: SubgraphName): DatabaseConfig {
    return replicaDatabaseConfig(pair, 'replicas', subgraph, { maxLagMs: MAX_LAG_MS, checkIntervalMs: 250, redisUrl: REDIS_URL });
  }

  async function ask(url: string, userId: number, query: string, variables?: Record<string, unknown>) {
    let token = tokens.get(userId);
    if (!token) {
      token = await stack.token(String(userId));
      tokens.set(userId, token);
    }
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: any }[] } };
  }

  /** The replica's health as each subgraph's readiness reports it. */
  async function replicaHealth(): Promise<string[]> {
    return Promise.all(
      SUBGRAPHS.map(async (name) => {
        const response = await fetch(stack.subgraphUrls[name].replace('/graphql', '/health/ready'));
        const body = (await response.json()) as { replicas?: { health: string }[] };
        if (response.status !== 200) throw new Error(`${name} is not ready: ${JSON.stringify(body)}`);
        return body.replicas?.[0]?.health ?? 'none';
      }),
    );
  }

  async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const everyReplica = (health: string) => async () => (await replicaHealth()).every((state) => state === health);

  /** Statements each server received from the stack's subgraphs (their pools; the monitors' probes are not in it). */
  function statementsByServer(): Record<ServerName, number> {
    const total: Record<ServerName, number> = {};
    for (const name of SUBGRAPHS) {
      for (const [server, count] of Object.entries(stack.databases[name].statements.byServer)) total[server] = (total[server] ?? 0) + count;
    }
    return total;
  }

  /** Replica-eligible reads per server and fallback reasons, in every subgraph of the stack (and pod B). */
  function countReads() {
    const servers: Record<ServerName, number> = {};
    const reasons: Partial<Record<FallbackReason, number>> = {};
    const sources = [...SUBGRAPHS.map((name) => stack.databases[name].dataSource), podB.dataSource];
    const stops = sources.map((dataSource) =>
      (ReplicaReads.of(dataSource) as ReplicaReads).onRead((server, fallback) => {
        servers[server] = (servers[server] ?? 0) + 1;
        if (fallback) reasons[fallback] = (reasons[fallback] ?? 0) + 1;
      }),
    );
    return {
      servers,
      reasons,
      stop: () => {
        for (const stop of stops) stop();
      },
    };
  }

  async function placeOrder(url: string, userId: number): Promise<string> {
    const { status, body } = await ask(url, userId, PLACE_ORDER, {
      input: { items: [{ productId: String(userId), quantity: 1 }], idempotencyKey: randomUUID() },
    });
    if (status !== 200 || body.errors || !body.data?.placeOrder) throw new Error(`placeOrder failed: ${status} ${JSON.stringify(body)}`);
    ordered.set(userId, (ordered.get(userId) ?? 0) + 1);
    return body.data.placeOrder.id;
  }

  /** Places an order, then at once reads the caller's orders and stock: stale when either misses the write. */
  async function writeThenRead(writeUrl: string, readUrl: string, userId: number) {
    const orderId = await placeOrder(writeUrl, userId);
    const { status, body } = await ask(readUrl, userId, MY_ORDERS_AND_STOCK, { product: String(userId) });
    if (status !== 200 || body.errors) throw new Error(`read failed: ${status} ${JSON.stringify(body)}`);
    const ids = body.data.me.orders.edges.map((edge: { node: { id: string } }) => edge.node.id);
    const staleOrders = !ids.includes(orderId);
    const staleStock = body.data.product.stock !== INITIAL_STOCK - (ordered.get(userId) ?? 0);
    return { orderId, stale: staleOrders || staleStock };
  }

  /** Whether the replica has these orders yet (asked straight, not through the application). */
  async function replicaHas(orderIds: string[]): Promise<Set<string>> {
    const { database } = databaseConfig('order') as { database: string };
    const rows = await pair.query('replica', `SELECT id FROM \`${database}\`.orders WHERE id IN (?)`, [orderIds]);
    return new Set(rows.map((row) => String(row.id)));
  }

  /**
   * `count` reads by the user who never writes, `concurrency` at a time; every one must succeed. One at a time by
   * default: the router merges identical queries in flight, and each request should cost its 3 reads.
   */
  async function readerLoad(count: number, concurrency = 1): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) {
          const { status, body } = await ask(stack.routerUrl, READER, READER_QUERY);
          if (status !== 200 || body.errors) throw new Error(`reader failed: ${status} ${JSON.stringify(body)}`);
        }
      }),
    );
  }

  // One replica test file at a time on the pair (they change its delay and stop it).
  let pairLock: { release(): Promise<void> } | undefined;
  beforeAll(async () => {
    pairLock = await lockReplicaPair(process.env.TEST_REPLICA_URLS as string);
    pair = await testReplicaPair(process.env.TEST_REPLICA_URLS as string);
    await setReplicaDelay(pair.options, 0);
    const routerConfig = readRouterConfig({ NODE_ENV: 'test', BUDGET_MODE: 'off' });
    stack = await startStack('replicas', { demand: routerConfig.demand }, developmentSubgraphSecret, databaseConfig);
    await insertUsers(stack.databases.account.dataSource, [
      ...Array.from({ length: WRITERS }, (_, i) => ({ id: i + 1, name: `Writer ${i + 1}` })),
      { id: READER, name: 'Reader' },
    ]);
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(
      stack.databases.product.dataSource,
      Array.from({ length: WRITERS }, (_, i) => ({
        id: i + 1,
        name: `Tool ${i + 1}`,
        priceCents: 100,
        stock: INITIAL_STOCK,
        categoryId: 1,
      })),
    );
    const { dataSource } = await openDataSource(databaseConfig('order'), { ...orderDatabase, logger: silentLogger });
    const subgraph = await createOrderSubgraph({
      dataSource,
      config: {
        ...testSubgraphConfig('order', { config: databaseConfig('order') }),
        internalApiToken: INTERNAL_TOKEN,
        productInternalUrl: stack.subgraphUrls.product.replace('/graphql', ''),
        sweeper: DEFAULT_SWEEPER_OPTIONS,
      },
      logger: silentLogger,
      sweep: false,
    });
    const podUrl = `http://127.0.0.1:${await subgraph.listen(0)}/graphql`;
    const { router, url } = await stack.startRouter({
      demand: routerConfig.demand,
      subgraphUrls: { ACCOUNT: stack.subgraphUrls.account, PRODUCT: stack.subgraphUrls.product, ORDER: podUrl },
    });
    podB = { subgraph, dataSource, routerUrl: url, stopRouter: () => router.stop() };
    await waitForReplicaCatchUp(pair.options);
    await until('the replica in rotation', everyReplica('in'));
  }, 660_000);

  afterAll(async () => {
    await setReplicaDelay(pair.options, 0).catch(() => undefined);
    await podB?.stopRouter();
    await podB?.subgraph.stop();
    await podB?.dataSource.destroy();
    await stack?.stop();
    await pairLock?.release();
  });

  it('shows callers their own orders and stock at once while the replica is 2 s behind: 0 stale reads in 200 pairs, across pods', async () => {
    await setReplicaDelay(pair.options, 2);
    const reads = countReads();
    let stale = 0;
    let replicaLacked = 0;
    // Writers at once, each one pair after another; odd writers read back through another pod than they wrote to.
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, i) => {
        const userId = i + 1;
        const readUrl = userId % 2 === 1 ? podB.routerUrl : stack.routerUrl;
        for (let n = 0; n < PAIRS_PER_WRITER; n++) {
          const result = await writeThenRead(stack.routerUrl, readUrl, userId);
          if (result.stale) stale += 1;
          // Right after the read: did the replica have the order yet? (Else only the primary could answer.)
          if (!(await replicaHas([result.orderId])).has(result.orderId)) replicaLacked += 1;
        }
      }),
    );
    reads.stop();
    console.log(
      `read-your-writes: ${WRITERS * PAIRS_PER_WRITER} write-then-read pairs, ${stale} stale; the replica lacked the order just written in ${replicaLacked}; reads by server ${JSON.stringify(reads.servers)}, fallbacks ${JSON.stringify(reads.reasons)}`,
    );
    expect(stale).toBe(0);
    // The replica really was behind for most of them (else this would prove nothing), and the writes' positions came
    // from Redis in the other pod, never "unknown".
    expect(replicaLacked).toBeGreaterThanOrEqual((WRITERS * PAIRS_PER_WRITER) / 2);
    expect(reads.reasons.replica_behind).toBeGreaterThanOrEqual(WRITERS * PAIRS_PER_WRITER);
    expect(reads.reasons.position_unknown).toBeUndefined();
  }, 120_000);

  it("serves another user's reads from the replica, counted at each server", async () => {
    await until('the replica in rotation', everyReplica('in'));
    const READS = 60;
    const statementsBefore = statementsByServer();
    const selectsBefore = { primary: await pair.selects('primary'), replica: await pair.selects('replica') };
    const reads = countReads();
    await readerLoad(READS);
    reads.stop();
    const statementsAfter = statementsByServer();
    const selects = {
      primary: (await pair.selects('primary')) - selectsBefore.primary,
      replica: (await pair.selects('replica')) - selectsBefore.replica,
    };
    const statements = {
      primary: (statementsAfter.primary ?? 0) - (statementsBefore.primary ?? 0),
      replica1: (statementsAfter.replica1 ?? 0) - (statementsBefore.replica1 ?? 0),
    };
    console.log(
      `reader on an in-rotation replica: ${READS} requests; statements by server ${JSON.stringify(statements)}; Com_select by server ${JSON.stringify(selects)} `,
    );
    // Each request reads the user (account), their orders (order) and a product (product): all on the replica.
    expect(reads.servers).toEqual({ replica1: 3 * READS });
    expect(statements.primary).toBe(0);
    expect(statements.replica1).toBeGreaterThanOrEqual(3 * READS);
    // The servers' own count agrees (the monitors probe with SHOW, which Com_select leaves out).
    expect(selects.replica).toBeGreaterThanOrEqual(3 * READS);
    expect(selects.primary).toBe(0);
  }, 120_000);

  it('gives replica connections the statement timeout too, and shows each server in readiness and metrics', async () => {
    const config = { ...(databaseConfig('product') as Extract<DatabaseConfig, { kind: 'mysql' }>), statementTimeoutMs: 200 };
    const { dataSource, statements } = await openDataSource(config, { ...productDatabase, migrate: false, logger: silentLogger });
    try {
      await until('the replica in rotation', async () => ReplicaReads.of(dataSource)?.replicas()[0].health === 'in');
      const before = statements.byServer.replica1 ?? 0;
      const onReplica = await readWith(dataSource, 'replica', (manager) => manager.query('SELECT SLEEP(3) AS slept')).catch(
        (error) => error,
      );
      expect(isDatabaseOverload(onReplica)).toBe(true);
      expect((statements.byServer.replica1 ?? 0) - before).toBe(1);
      const onPrimary = await dataSource.query('SELECT SLEEP(3) AS slept').catch((error: unknown) => error);
      expect(isDatabaseOverload(onPrimary)).toBe(true);
    } finally {
      await dataSource.destroy();
    }

    const ready = await fetch(stack.subgraphUrls.order.replace('/graphql', '/health/ready'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      database: 'up',
      replicas: [
        { server: 'replica1', address: `${pair.replica.host}:${pair.replica.port}`, health: 'in', lagSeconds: expect.any(Number) },
      ],
    });
    const samples = await scrape(stack.subgraphUrls.order.replace('/graphql', '/metrics'));
    for (const server of ['primary', 'replica1']) {
      expect(sampleValue(samples, 'db_pool_connections', { server, state: 'max' })).toBe(5);
      expect(sampleValue(samples, 'db_statements_total', { server })).toBeGreaterThan(0);
    }
    expect(sampleValue(samples, 'db_reads_total', { server: 'replica1' })).toBeGreaterThan(0);
    expect(samples.some((sample) => sample.name === 'db_replica_lag_seconds' && sample.labels.server === 'replica1')).toBe(true);
    expect(sampleValue(samples, 'db_replica_in_rotation', { server: 'replica1', health: 'in' })).toBe(1);
  }, 120_000);

  it('moves reads to the primary while the replica lags past the max, and back when it catches up', async () => {
    await setReplicaDelay(pair.options, 6);
    // A steady trickle of writes, so that the delayed replica falls further and further behind.
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await placeOrder(stack.routerUrl, 1);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    try {
      await until('the replica out of rotation for lag', everyReplica('lagging'));
      const lagging = countReads();
      await readerLoad(30);
      lagging.stop();
      expect(lagging.servers).toEqual({ primary: 3 * 30 });
      expect(lagging.reasons).toEqual({ no_replica: 3 * 30 });

      await setReplicaDelay(pair.options, 0);
      await until('the replica back in rotation', everyReplica('in'));
    } finally {
      writing = false;
      await writer;
    }
    const back = countReads();
    const before = statementsByServer();
    await readerLoad(30);
    back.stop();
    const after = statementsByServer();
    console.log(`lag: out of rotation past ${MAX_LAG_MS} ms; back in: reads by server ${JSON.stringify(back.servers)}`);
    expect(back.servers).toEqual({ replica1: 3 * 30 });
    expect((after.primary ?? 0) - (before.primary ?? 0)).toBe(0);
  }, 120_000);

  it('loses no request when the replica is killed under load, and takes reads again once it is back', async () => {
    await until('the replica in rotation', everyReplica('in'));
    const reads = countReads();
    let running = true;
    const failures: string[] = [];
    let requests = 0;
    let stale = 0;
    const load = [
      ...Array.from({ length: 4 }, async (_, i) => {
        while (running) {
          try {
            const result = await writeThenRead(stack.routerUrl, stack.routerUrl, i + 1);
            requests += 2;
            if (result.stale) stale += 1;
          } catch (error) {
            failures.push(String(error));
          }
        }
      }),
      ...Array.from({ length: 4 }, async () => {
        while (running) {
          const { status, body } = await ask(stack.routerUrl, READER, READER_QUERY);
          requests += 1;
          if (status !== 200 || body.errors) failures.push(`${status} ${JSON.stringify(body.errors)}`);
        }
      }),
    ];
    try {
      // Some reads on the live replica first, then the crash in the middle of the load.
      await until('reads on the replica', async () => (reads.servers.replica1 ?? 0) >= 20);
      await killServer(pair.options, 'replica');
      const killedAt = requests;
      await until('load after the kill', async () => requests >= killedAt + 60);
    } finally {
      running = false;
      await Promise.all(load);
    }
    reads.stop();
    console.log(
      `replica killed under load: ${requests} requests, ${failures.length} failed, ${stale} stale; reads by server ${JSON.stringify(reads.servers)}, fallbacks ${JSON.stringify(reads.reasons)}`,
    );
    expect(failures).toEqual([]);
    expect(stale).toBe(0);
    expect((reads.reasons.replica_failed ?? 0) + (reads.reasons.no_replica ?? 0)).toBeGreaterThan(0);

    await startServer(pair.options, 'replica');
    await until('the restarted replica back in rotation', everyReplica('in'));
    const back = countReads();
    await readerLoad(30);
    back.stop();
    expect(back.servers).toEqual({ replica1: 3 * 30 });
  }, 120_000);
});
