import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRouterConfig, signDevelopmentToken } from '../../router';
import { localSupergraphEnv } from '../../scripts/lib/net';
import { type StartedSupergraph, startSupergraphProcess } from '../../scripts/lib/startProcess';
import { DATABASE_NAMES, parseMysqlUrl, readDatabaseConfig, SUBGRAPH_NAMES } from '../../shared';
import { dropMysqlDatabase } from '../helpers/testDatabase';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlpReceiver';

const SUBGRAPHS = ['account', 'order', 'product'] as const;
const SERVER = 2;
const CLIENT = 3;
/** A search term that reaches SQL as a bound value: it must never show up in a span. */
const SEARCH = 'hoodie';

function newTraceparent(): { traceId: string; parentId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
}

function statementOf(span: ReceivedSpan): string | undefined {
  const statement = span.attributes['db.statement'] ?? span.attributes['db.query.text'];
  return typeof statement === 'string' ? statement : undefined;
}

function isSql(span: ReceivedSpan): boolean {
  return statementOf(span) !== undefined && (span.attributes['db.system'] ?? span.attributes['db.system.name']) !== undefined;
}

/** Is `ancestor` on the chain of parents from `span` (within the spans of one trace)? */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, byId: Map<string, ReceivedSpan>): boolean {
  let current: ReceivedSpan | undefined = span;
  for (let hops = 0; current && hops < 100; hops++) {
    if (current.parentSpanId === ancestor.spanId) return true;
    current = byId.get(current.parentSpanId);
  }
  return false;
}

/**
 * The four real processes (`npm start`, compiled by `npm test`'s build step) exporting to an OTLP/HTTP
 * receiver in this test: auto-instrumentation hooks `require`, which jest's module loader bypasses, so
 * only real processes show what an operator sees.
 */
describe('tracing, as real processes', () => {
  let supergraph: StartedSupergraph;
  let receiver: OtlpReceiver;
  let routerPort: number;
  let token: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-tracing-'));
  const onMysql = Boolean(process.env.TEST_DATABASE_URL);

  /** Log lines of one process (`npm start` prefixes each with `[name]`), parsed. */
  /** `name`'s log lines carrying `traceId`, once there is one or after 5 s: processes write their lines asynchronously. */
  async function traceLines(name: string, traceId: string): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + 5_000;
    while (!logLines(name).some((line) => line.trace_id === traceId) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return logLines(name).filter((line) => line.trace_id === traceId);
  }

  function logLines(name: string): Record<string, unknown>[] {
    const lines: Record<string, unknown>[] = [];
    for (const line of supergraph.output().split('\n')) {
      const match = /^\[(\w+)\] (\{.*\})$/.exec(line);
      if (match?.[1] !== name) continue;
      try {
        lines.push(JSON.parse(match[2]));
      } catch {
        // not a JSON line
      }
    }
    return lines;
  }

  async function graphql(query: string, traceparent: string, variables?: Record<string, unknown>) {
    const response = await fetch(`http://127.0.0.1:${routerPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, traceparent },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  /** Waits until `done` holds for the spans of `traceId` received so far. */
  async function spansOf(traceId: string, done: (spans: ReceivedSpan[]) => boolean, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const spans = receiver.spans.filter((span) => span.traceId === traceId);
      if (done(spans)) return spans;
      if (Date.now() > deadline) {
        const summary = spans.map((span) => `${span.service} ${span.kind} ${span.name}`).join('\n');
        throw new Error(`the spans of trace ${traceId} did not all arrive:\n${summary}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const local = await localSupergraphEnv();
    routerPort = local.ports.router;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      DATA_DIR: dataDir,
      ...local.env,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    };
    for (const name of Object.keys(env)) {
      if (
        name.startsWith('OTEL_') &&
        !name.startsWith('OTEL_EXPORTER_OTLP_') &&
        !name.startsWith('OTEL_BSP_') &&
        name !== 'OTEL_TRACES_SAMPLER'
      ) {
        delete env[name];
      }
    }
    delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL;
    delete env.DATABASE_URL;
    if (process.env.TEST_DATABASE_URL) {
      env.DATABASE_URL = process.env.TEST_DATABASE_URL;
      env.DATABASE_NAME_PREFIX = `t${process.env.JEST_WORKER_ID ?? 0}_tracing_`;
      for (const name of [...Object.values(DATABASE_NAMES), 'router']) {
        await dropMysqlDatabase(parseMysqlUrl(env.DATABASE_URL, 'TEST_DATABASE_URL', `${env.DATABASE_NAME_PREFIX}${name}`));
      }
      // `npm start` seeds only the embedded databases: fill these the way `npm run seed` does.
      const { seed } = await import('../../scripts/lib/seed');
      const targets = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, readDatabaseConfig(env, name)]));
      await seed(targets as any, { scale: 'small' });
    }
    token = await signDevelopmentToken(readRouterConfig({}).auth, { userId: '1' });
    supergraph = await startSupergraphProcess(env, 60_000);
  }, 90_000);

  afterAll(async () => {
    await supergraph?.stop();
    await receiver?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('follows one cross-subgraph query from the router through every subgraph down to SQL, in one trace', async () => {
    const { traceId, parentId, header } = newTraceparent();
    const { status, body } = await graphql(
      `query TracedOrders {
        user(id: "1") { name email orders(first: 3) { edges { node { id items { quantity product { name } } } } } }
        products(first: 2, filter: { search: "${SEARCH}" }) { edges { node { name } } }
      }`,
      header,
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.user.orders.edges.length).toBeGreaterThan(0);

    const spans = await spansOf(traceId, (received) => {
      // Each process exports on its own schedule: wait for the router's server span (it ends last there),
      // a server span in each subgraph for every router client span, and SQL in each subgraph.
      const routerServer = received.some((span) => span.service === 'router' && span.kind === SERVER);
      const clients = received.filter((span) => span.service === 'router' && span.kind === CLIENT);
      const answered = clients.every((client) => received.some((span) => span.kind === SERVER && span.parentSpanId === client.spanId));
      return routerServer && answered && SUBGRAPHS.every((name) => received.some((span) => span.service === name && isSql(span)));
    });
    const byId = new Map(spans.map((span) => [span.spanId, span]));

    // The router continues the caller's trace: its server span is the child of the traceparent sent.
    const routerServer = spans.find((span) => span.service === 'router' && span.kind === SERVER);
    expect(routerServer?.parentSpanId).toBe(parentId);
    // @apollo/gateway's own spans, through the global tracer provider.
    const routerSpanNames = spans.filter((span) => span.service === 'router').map((span) => span.name);
    expect(routerSpanNames).toEqual(
      expect.arrayContaining(['gateway.request', 'gateway.validate', 'gateway.plan', 'gateway.execute', 'gateway.fetch']),
    );
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['router', ...SUBGRAPHS]));

    for (const name of SUBGRAPHS) {
      // Each subgraph's HTTP server span is the child of one of the router's client (undici) spans.
      const servers = spans.filter((span) => span.service === name && span.kind === SERVER);
      expect(servers.length).toBeGreaterThan(0);
      for (const server of servers) {
        const parent = byId.get(server.parentSpanId);
        expect({ subgraph: name, parent: parent && { service: parent.service, kind: parent.kind } }).toEqual({
          subgraph: name,
          parent: { service: 'router', kind: CLIENT },
        });
        expect(descendsFrom(parent as ReceivedSpan, routerServer as ReceivedSpan, byId)).toBe(true);
      }
      // The GraphQL operation and every SQL statement sit under that server span.
      const own = spans.filter((span) => span.service === name);
      expect(own.some((span) => span.name.startsWith('graphql.execute') || span.name.startsWith('query'))).toBe(true);
      const sql = own.filter(isSql);
      expect(sql.length).toBeGreaterThan(0);
      for (const statement of sql) {
        expect(servers.some((server) => descendsFrom(statement, server, byId))).toBe(true);
        expect(statement.attributes['db.system'] ?? statement.attributes['db.system.name']).toBe(onMysql ? 'mysql' : 'sqlite');
      }
    }
    // The loaders' batches, each with its statement inside.
    const batches = spans.filter((span) => span.name.startsWith('dataloader.batch '));
    expect(batches.map((span) => `${span.service} ${span.name}`)).toEqual(
      expect.arrayContaining([
        'order dataloader.batch Order.userId.page',
        'order dataloader.batch OrderItem.orderId',
        'product dataloader.batch Product.id',
      ]),
    );
    for (const batch of batches) {
      expect(spans.some((span) => isSql(span) && descendsFrom(span, batch, byId))).toBe(true);
    }

    // No personal data or bound value anywhere: not in statements, URLs, GraphQL documents or events.
    for (const span of receiver.spans) {
      const text = JSON.stringify(span.raw);
      expect(text).not.toContain('@example.com');
      expect(text).not.toContain('Demo Customer');
      expect(text.toLowerCase()).not.toContain(SEARCH);
      const statement = statementOf(span);
      if (statement !== undefined) expect(statement).not.toMatch(/'[^']*'/);
    }
    expect(receiver.rejected).toEqual([]);
    if (process.env.TRACING_TEST_DUMP) fs.writeFileSync(process.env.TRACING_TEST_DUMP, JSON.stringify(spans, null, 1));

    // The router's log line for this request carries the trace id.
    const routerLines = await traceLines('router', traceId);
    expect(routerLines.length).toBeGreaterThan(0);
    expect(routerLines[0]).toEqual(expect.objectContaining({ span_id: expect.stringMatching(/^[0-9a-f]{16}$/), trace_flags: '01' }));
  });

  it('links the order subgraph to the product internal API and puts the trace id on their log lines', async () => {
    const { traceId, header } = newTraceparent();
    // An unknown product: the product subgraph refuses the reservation and logs it.
    const { body } = await graphql('mutation Checkout($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', header, {
      input: { items: [{ productId: '987654', quantity: 1 }], idempotencyKey: `trace-${traceId}` },
    });
    expect(body.errors?.[0]?.extensions?.code).toBe('PRODUCT_NOT_FOUND');
    // Each process exports on its own schedule: wait for the product server span and its parent.
    const spans = await spansOf(traceId, (received) => {
      const server = received.find((span) => span.service === 'product' && span.kind === SERVER);
      return server !== undefined && received.some((span) => span.spanId === server.parentSpanId);
    });
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const productServer = spans.find((span) => span.service === 'product' && span.kind === SERVER);
    expect(byId.get(productServer?.parentSpanId ?? '')).toEqual(expect.objectContaining({ service: 'order', kind: CLIENT }));

    expect(await traceLines('product', traceId)).toEqual([
      expect.objectContaining({ msg: 'reservation refused', span_id: expect.stringMatching(/^[0-9a-f]{16}$/) }),
    ]);
    // The router logs its line after the product's answer reached it: it can come later than the product's.
    expect((await traceLines('router', traceId)).length > 0).toBe(true);
    // Lines outside any request carry no trace id.
    expect(logLines('order').find((line) => String(line.msg).includes('subgraph at'))).not.toHaveProperty('trace_id');
  });
});
