/**
 * `npm run soak -- [--duration 120] [--clients 8] [--embedded] [--replicas mysql://…[,…]]`: a fault soak, not a
 * test. Runs the three subgraphs and the router as real processes (on MySQL through a relay the soak can cut;
 * `--embedded` for SQLite, without database cuts), has clients place orders with retries under one idempotency key
 * per checkout, and meanwhile SIGKILLs and restarts the order and product subgraphs and cuts the database
 * connections. Afterwards it checks that every order a client saw acknowledged exists exactly once, that
 * stock equals initial stock minus what the stored orders hold, that no checkout is left half done, and
 * reports the client-visible errors. With `--replicas` (replicas of the DATABASE_URL primary, e.g. the pair of
 * `npm run replica -- start`), the subgraphs read from them, and every client reads its orders back right after
 * each acknowledged one: a read that misses it is stale, and one stale read fails the soak (REDIS_URL, if set, is
 * passed on, so that a caller's write positions survive the subgraph kills).
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRouterConfig, signDevelopmentToken } from '../router';
import {
  type DatabaseConfig,
  openDataSource,
  parseMysqlUrl,
  projectPath,
  readDatabaseConfig,
  SUBGRAPH_NAMES,
  type SubgraphName,
} from '../shared';
import { reservationKeyOf } from '../subgraphs/order/placeOrder';
import { localSupergraphEnv, startCuttableRelay } from './lib/net';
import { seed } from './lib/seed';

interface Options {
  durationS: number;
  clients: number;
  embedded: boolean;
  mysqlUrl: string;
  /** DATABASE_REPLICA_URLS for the subgraphs (reached directly, not through the relay); null without replicas. */
  replicaUrls: string | null;
}

function parseArguments(args: string[]): Options {
  const options: Options = {
    durationS: 120,
    clients: 8,
    embedded: false,
    mysqlUrl: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306',
    replicaUrls: null,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined || !/^\d+$/.test(next)) throw new Error(`${arg} needs a whole number`);
      return Number(next);
    };
    if (arg === '--duration') options.durationS = value();
    else if (arg === '--clients') options.clients = value();
    else if (arg === '--embedded') options.embedded = true;
    else if (arg === '--replicas') {
      const urls = args[++i];
      if (urls === undefined || !/^mysql:\/\//.test(urls)) throw new Error('--replicas needs mysql:// URLs, comma-separated');
      options.replicaUrls = urls;
    } else if (arg === '--help') {
      console.log('usage: npm run soak -- [--duration seconds (120)] [--clients n (8)] [--embedded] [--replicas mysql://…[,…]]');
      process.exit(0);
    } else throw new Error(`unknown argument '${arg}' (try --help)`);
  }
  if (options.embedded && options.replicaUrls) throw new Error('--replicas needs MySQL: leave out --embedded');
  return options;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-soak-'));
  const { ports, env: portsEnv } = await localSupergraphEnv();
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    USAGE_RECORDING: 'false',
    DATABASE_NAME_PREFIX: 'soak_',
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    ...portsEnv,
    // Crash repair on a soak's time scale: a checkout still pending after 5 s is taken as crashed.
    CHECKOUT_ABANDON_AFTER_MS: '5000',
    CHECKOUT_CONFIRM_AFTER_MS: '1000',
    CHECKOUT_SWEEP_INTERVAL_MS: '1000',
    // Clients' budgets are not what this soak is about.
    BUDGET_MODE: 'off',
  };
  const relay = options.embedded
    ? null
    : await startCuttableRelay(
        parseMysqlUrl(options.mysqlUrl, 'DATABASE_URL', 'x').host,
        parseMysqlUrl(options.mysqlUrl, 'DATABASE_URL', 'x').port,
      );
  const direct = { ...baseEnv, ...(options.embedded ? {} : { DATABASE_URL: options.mysqlUrl }) };
  const viaRelay = {
    ...baseEnv,
    ...(relay ? { DATABASE_URL: `mysql://root@127.0.0.1:${relay.port}` } : {}),
    // Replicas are reached directly: the soak cuts the primary, and reads carry on from them meanwhile.
    ...(options.replicaUrls ? { DATABASE_REPLICA_URLS: options.replicaUrls, DATABASE_REPLICA_CHECK_INTERVAL_MS: '250' } : {}),
    // Write positions outlive a killed subgraph only in Redis: pass it on when the soak has one.
    ...(options.replicaUrls && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  };
  const targets = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, readDatabaseConfig(direct, name)])) as Record<
    SubgraphName,
    DatabaseConfig
  >;

  console.log(`[soak] seeding (${options.embedded ? 'SQLite' : 'MySQL, prefix soak_'})`);
  await seed(targets, { scale: 'small' });
  const productDb = (await openDataSource(targets.product, { entities: [], migrations: [], migrate: false })).dataSource;
  const orderDb = (await openDataSource(targets.order, { entities: [], migrations: [], migrate: false })).dataSource;
  const PRODUCTS = Array.from({ length: 20 }, (_, i) => i + 1);
  await productDb.query(`UPDATE product SET stock = 100000 WHERE id <= ${PRODUCTS.length}`);
  const initialStock = new Map<number, number>(
    (await productDb.query(`SELECT id, stock FROM product WHERE id <= ${PRODUCTS.length}`)).map((row: any) => [
      Number(row.id),
      Number(row.stock),
    ]),
  );
  const [{ maxId }] = await orderDb.query('SELECT COALESCE(MAX(id), 0) AS maxId FROM orders');
  const seededOrders = Number(maxId);

  const processes = new Map<string, ChildProcess>();
  const start = (name: string, script: string) => {
    const child = spawn(process.execPath, [projectPath('dist', script)], { env: viaRelay, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', () => undefined);
    processes.set(name, child);
  };
  const waitReady = async (url: string) => {
    for (let i = 0; i < 300; i++) {
      if (
        (await fetch(url).then(
          (r) => r.status,
          () => 0,
        )) === 200
      )
        return;
      await sleep(100);
    }
    throw new Error(`not ready: ${url}`);
  };
  for (const name of SUBGRAPH_NAMES) {
    start(name, `subgraphs/${name}/main.js`);
    await waitReady(`http://127.0.0.1:${ports[name]}/health/ready`);
  }
  start('router', 'router/main.js');
  await waitReady(`http://127.0.0.1:${ports.admin}/health/ready`);
  console.log(`[soak] running ${options.durationS} s with ${options.clients} clients`);

  const auth = readRouterConfig({}).auth;
  const acknowledged: { key: string; userId: number; orderId: string }[] = [];
  const clientErrors: Record<string, number> = {};
  /** With replicas: reads of a client's orders right after an acknowledged one, and those that missed it. */
  const readBack = { reads: 0, stale: 0, failed: 0 };
  const gaveUp: Record<string, number> = {};
  let attemptsTotal = 0;
  let running = true;
  const PERMANENT = new Set([
    'INSUFFICIENT_STOCK',
    'CHECKOUT_EXPIRED',
    'IDEMPOTENCY_CONFLICT',
    'INVALID_ORDER',
    'INVALID_QUANTITY',
    'UNAUTHENTICATED',
  ]);
  /** Reads the client's newest orders at once (each user has one client): the order just acknowledged must be there. */
  const readOwnOrder = async (token: string, orderId: string) => {
    try {
      const response = await fetch(`http://127.0.0.1:${ports.router}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { orders(first: 3) { edges { node { id } } } } }' }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await response.json()) as { data?: { me?: { orders: { edges: { node: { id: string } }[] } } }; errors?: unknown[] };
      if (!body.data?.me || body.errors) {
        readBack.failed += 1;
        return;
      }
      readBack.reads += 1;
      if (!body.data.me.orders.edges.some((edge) => edge.node.id === orderId)) readBack.stale += 1;
    } catch {
      readBack.failed += 1;
    }
  };
  const client = async (userId: number) => {
    const token = await signDevelopmentToken(auth, { userId: String(userId) });
    while (running) {
      const key = randomUUID();
      const lines = 1 + Math.floor(Math.random() * 3);
      const items = Array.from({ length: lines }, () => ({
        productId: String(PRODUCTS[Math.floor(Math.random() * PRODUCTS.length)]),
        quantity: 1 + Math.floor(Math.random() * 3),
      }));
      for (let attempt = 0; attempt < 10; attempt++) {
        attemptsTotal += 1;
        let code: string;
        try {
          const response = await fetch(`http://127.0.0.1:${ports.router}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({
              query: 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
              variables: { input: { items, idempotencyKey: key } },
            }),
            signal: AbortSignal.timeout(15_000),
          });
          const body = (await response.json()) as { data?: { placeOrder?: { id: string } }; errors?: { extensions?: { code?: string } }[] };
          if (body.data?.placeOrder) {
            acknowledged.push({ key, userId, orderId: body.data.placeOrder.id });
            if (options.replicaUrls) await readOwnOrder(token, body.data.placeOrder.id);
            break;
          }
          code = body.errors?.[0]?.extensions?.code ?? `HTTP_${response.status}`;
        } catch (error) {
          code = `NETWORK_${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name}`;
        }
        clientErrors[code] = (clientErrors[code] ?? 0) + 1;
        if (PERMANENT.has(code) || attempt === 9) {
          gaveUp[code] = (gaveUp[code] ?? 0) + 1;
          break;
        }
        await sleep(Math.min(2_000, 50 * 2 ** attempt) * Math.random() + 50);
      }
    }
  };
  const clients = Array.from({ length: options.clients }, (_, i) => client(1 + (i % 50)));

  // Chaos: every 10 s something breaks: a subgraph is SIGKILLed and restarted 1.5 s later, or the database
  // connections are cut for 3 s.
  const events: string[] = [];
  const chaos = (async () => {
    const plan = relay ? ['kill order', 'cut database', 'kill product', 'cut database'] : ['kill order', 'kill product'];
    let step = 0;
    await sleep(5_000);
    while (running) {
      const what = plan[step++ % plan.length];
      events.push(what);
      if (what === 'cut database' && relay) {
        relay.cut();
        await sleep(3_000);
        relay.restore();
      } else {
        const name = what.split(' ')[1] as SubgraphName;
        processes.get(name)?.kill('SIGKILL');
        await sleep(1_500);
        start(name, `subgraphs/${name}/main.js`);
        await waitReady(`http://127.0.0.1:${ports[name]}/health/ready`).catch(() => undefined);
      }
      for (let i = 0; i < 70 && running; i++) await sleep(100);
    }
  })();
  const started = Date.now();
  const progress = setInterval(() => {
    const errors = Object.values(clientErrors).reduce((a, b) => a + b, 0);
    console.log(
      `[soak] ${Math.round((Date.now() - started) / 1000)} s: ${acknowledged.length} orders acknowledged, ${attemptsTotal} attempts, ${errors} client-visible errors, ${events.length} faults`,
    );
  }, 5_000);
  await sleep(options.durationS * 1000);
  running = false;
  await Promise.all([...clients, chaos]);
  clearInterval(progress);

  // Let the sweeper finish every half-done checkout (abandon after 5 s, swept every 1 s).
  console.log('[soak] load stopped; waiting for the sweeper to finish half-done checkouts');
  let open = -1;
  for (let i = 0; i < 60; i++) {
    const [{ n }] = await orderDb.query("SELECT COUNT(*) AS n FROM checkout_intent WHERE status IN ('pending', 'stored', 'abandoning')");
    open = Number(n);
    if (open === 0) break;
    await sleep(1_000);
  }

  // Verify.
  const orders: { id: number; reservation_key: string; user_id: number }[] = await orderDb.query(
    `SELECT id, reservation_key, user_id FROM orders WHERE id > ${seededOrders}`,
  );
  const byKey = new Map<string, number[]>();
  for (const order of orders) byKey.set(order.reservation_key, [...(byKey.get(order.reservation_key) ?? []), Number(order.id)]);
  let missing = 0;
  let duplicated = 0;
  let mismatched = 0;
  for (const ack of acknowledged) {
    const ids = byKey.get(reservationKeyOf(ack.userId, ack.key)) ?? [];
    if (ids.length === 0) missing += 1;
    else if (ids.length > 1) duplicated += 1;
    else if (String(ids[0]) !== ack.orderId) mismatched += 1;
  }
  const ordered = new Map<number, number>(
    (
      await orderDb.query(
        `SELECT product_id, SUM(quantity) AS quantity FROM order_item WHERE order_id > ${seededOrders} GROUP BY product_id`,
      )
    ).map((row: any) => [Number(row.product_id), Number(row.quantity)]),
  );
  const stockNow = new Map<number, number>(
    (await productDb.query(`SELECT id, stock FROM product WHERE id <= ${PRODUCTS.length}`)).map((row: any) => [
      Number(row.id),
      Number(row.stock),
    ]),
  );
  const stockErrors = PRODUCTS.filter((id) => (initialStock.get(id) ?? 0) - (ordered.get(id) ?? 0) !== stockNow.get(id));
  const [{ n: heldReservations }] = await productDb.query("SELECT COUNT(*) AS n FROM stock_reservation WHERE status = 'reserved'");

  for (const child of processes.values()) child.kill('SIGTERM');
  void relay?.close();
  await productDb.destroy();
  await orderDb.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });

  const summary = {
    database: options.embedded ? 'sqlite' : 'mysql',
    replicas: options.replicaUrls ? options.replicaUrls.split(',').length : 0,
    durationS: options.durationS,
    clients: options.clients,
    faults: events.length,
    faultsByKind: Object.fromEntries([...new Set(events)].map((kind) => [kind, events.filter((event) => event === kind).length])),
    attempts: attemptsTotal,
    acknowledged: acknowledged.length,
    storedOrders: orders.length,
    storedButNotAcknowledged: orders.length - (acknowledged.length - missing),
    missing,
    duplicated,
    mismatched,
    productsWithWrongStock: stockErrors.length,
    reservationsStillHeld: Number(heldReservations),
    checkoutsLeftOpen: open,
    clientVisibleErrors: clientErrors,
    checkoutsGivenUp: gaveUp,
    ...(options.replicaUrls ? { readsAfterOwnOrder: readBack } : {}),
  };
  console.log(JSON.stringify(summary, null, 2));
  const ok = missing === 0 && duplicated === 0 && mismatched === 0 && stockErrors.length === 0 && open === 0 && readBack.stale === 0;
  console.log(
    ok
      ? `[soak] PASS: every acknowledged order exists once and stock adds up${options.replicaUrls ? ', and every client read its own order back' : ''}`
      : '[soak] FAIL',
  );
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error('[soak]', error);
  process.exit(1);
});
