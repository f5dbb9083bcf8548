import { context, SpanKind, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import DataLoader from 'dataloader';
import pino from 'pino';
import { createLogger, formatPretty, isoTimeField } from '../../shared/logger';
import { readTelemetrySettings, serviceNameFromEntry } from '../../shared/telemetry/config';
import { maskQuotedValues, maskSqlLiterals, RedactingSpanProcessor, withoutQuery } from '../../shared/telemetry/redaction';
import { statementVerb, TypeormSqliteInstrumentation } from '../../shared/telemetry/sqliteInstrumentation';
import { setTelemetryShutdown, shutdownTelemetry, telemetryStarted } from '../../shared/telemetry/state';
import { tracedBatch } from '../../shared/telemetry/tracedBatch';
import { traceFields } from '../../shared/telemetry/traceFields';

describe('telemetry settings', () => {
  it('names each process after its entry script', () => {
    expect(serviceNameFromEntry('/app/dist/router/main.js')).toBe('router');
    expect(serviceNameFromEntry('/app/dist/subgraphs/order/main.js')).toBe('order');
    expect(serviceNameFromEntry('/app/dist/scripts/benchTelemetry.js')).toBe('benchTelemetry');
    expect(serviceNameFromEntry(undefined)).toBe('supergraph');
  });

  it('is off, loading nothing, unless an OTLP endpoint is set', () => {
    expect(readTelemetrySettings({}, 'router')).toEqual({ enabled: false, serviceName: 'router', protocol: 'http/protobuf' });
    expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'router').enabled).toBe(true);
    expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }, 'order').enabled).toBe(true);
    expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, 'router').enabled).toBe(false);
    expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }, 'router').enabled).toBe(
      false,
    );
    expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }, 'router').enabled).toBe(
      false,
    );
  });

  it('takes OTEL_SERVICE_NAME and the OTLP/HTTP encoding from the environment, and refuses what it cannot export', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_SERVICE_NAME: 'edge-router',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    };
    expect(readTelemetrySettings(env, 'router')).toEqual({ enabled: true, serviceName: 'edge-router', protocol: 'http/json' });
    expect(() => readTelemetrySettings({ ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'router')).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL.*'grpc'/,
    );
    expect(() => readTelemetrySettings({ ...env, OTEL_TRACES_EXPORTER: 'zipkin' }, 'router')).toThrow(/OTEL_TRACES_EXPORTER/);
  });
});

describe('redaction', () => {
  it('masks every literal of a MySQL statement and keeps its identifiers', () => {
    expect(maskSqlLiterals("SELECT `u`.`id`, `t1` FROM `users` `u` WHERE `u`.`email` = 'ann@example.com' AND id IN (1, 22) LIMIT 10")).toBe(
      'SELECT `u`.`id`, `t1` FROM `users` `u` WHERE `u`.`email` = ? AND id IN (?, ?) LIMIT ?',
    );
    expect(maskSqlLiterals(`INSERT INTO t (a, b, c, d) VALUES ("x", 'it''s', 'a\\'b', -1.5e3)`)).toBe(
      'INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?)',
    );
    expect(maskSqlLiterals("SELECT X'4142', 0xFF, ?, t.`a2` FROM t2")).toBe('SELECT ?, ?, ?, t.`a2` FROM t2');
  });

  it('keeps double-quoted identifiers on SQLite', () => {
    expect(
      maskSqlLiterals(`SELECT "User"."id" FROM "users" "User" WHERE "User"."email" = 'a@b.c' AND "User"."id" IN (?, 3)`, {
        doubleQuotedIdentifiers: true,
      }),
    ).toBe('SELECT "User"."id" FROM "users" "User" WHERE "User"."email" = ? AND "User"."id" IN (?, ?)');
  });

  it('cuts query strings from URLs and quoted values from error messages', () => {
    expect(withoutQuery('http://router/graphql?query={user(id:"1"){email}}')).toBe('http://router/graphql');
    expect(withoutQuery('/graphql#x')).toBe('/graphql');
    expect(maskQuotedValues("Duplicate entry 'ann@example.com' for key 'users.email'")).toBe('Duplicate entry ? for key ?');
  });
});

describe('with a tracer provider', () => {
  const exporter = new InMemorySpanExporter();
  const sdk = new NodeSDK({
    spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor(exporter)],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    autoDetectResources: false,
  });
  const tracer = trace.getTracer('test');

  beforeAll(() => sdk.start());
  afterAll(() => sdk.shutdown());
  beforeEach(() => exporter.reset());

  it('redacts SQL, URLs and database errors before the exporting processor sees the span', () => {
    const span = tracer.startSpan('SELECT', {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'mysql', 'db.query.text': "SELECT * FROM users WHERE email = 'ann@example.com'" },
    });
    span.setAttribute('url.full', 'http://x/graphql?variables={"email":"ann@example.com"}');
    span.setAttribute('url.query', 'variables={"email":"ann@example.com"}');
    span.recordException(new Error("Duplicate entry 'ann@example.com' for key 'users.email'"));
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished.attributes).toEqual({
      'db.system.name': 'mysql',
      'db.query.text': 'SELECT * FROM users WHERE email = ?',
      'url.full': 'http://x/graphql',
    });
    expect(JSON.stringify(finished.events)).not.toContain('ann@example.com');
  });

  it('runs each DataLoader batch in a span of its own, under the span that asked first', async () => {
    const loader = new DataLoader(tracedBatch('User.id', async (ids: readonly number[]) => ids.map((id) => id * 2)));
    const parent = tracer.startSpan('resolver');
    const values = await context.with(trace.setSpan(context.active(), parent), () =>
      Promise.all([loader.load(1), loader.load(2), loader.load(3)]),
    );
    parent.end();
    expect(values).toEqual([2, 4, 6]);
    const batch = exporter.getFinishedSpans().find((span) => span.name === 'dataloader.batch User.id');
    expect(batch?.attributes).toEqual({ 'dataloader.name': 'User.id', 'dataloader.batch_size': 3 });
    expect(batch?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('marks a failed batch as an error and rethrows', async () => {
    const batch = tracedBatch('Boom.id', async () => {
      throw new Error('database gone');
    });
    await expect(batch([1])).rejects.toThrow('database gone');
    expect(exporter.getFinishedSpans()[0].status.code).toBe(2);
  });

  it('never writes an API key from logged request headers', () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const logger = createLogger('router', 'info', 'json');
      logger.info({ headers: { 'x-api-key': 'sk_live_do_not_log_me' } }, 'request');
      logger.info({ req: { headers: { 'x-api-key': 'sk_live_do_not_log_me' } } }, 'request');
    } finally {
      write.mockRestore();
    }
    const text = written.join('');
    expect(text).not.toContain('sk_live_do_not_log_me');
    expect(text.match(/\[redacted\]/g)).toHaveLength(2);
  });

  it('puts the active span ids on log lines', () => {
    expect(traceFields()).toEqual({});
    const span = tracer.startSpan('request');
    const fields = context.with(trace.setSpan(context.active(), span), () => traceFields());
    span.end();
    expect(fields).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, trace_flags: '01' });

    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const logger = createLogger('router', 'info', 'pretty');
      context.with(trace.setSpan(context.active(), span), () => logger.info({ authorization: 'Bearer secret' }, 'request done'));
    } finally {
      write.mockRestore();
    }
    expect(written.join('')).toContain(
      `request done authorization=[redacted] trace=${span.spanContext().traceId}/${span.spanContext().spanId}`,
    );
  });

  it('times each statement TypeORM runs on SQLite, with the statement masked and never its parameters', async () => {
    const instrumentation = new TypeormSqliteInstrumentation({ enabled: false });
    instrumentation.setTracerProvider(trace.getTracerProvider());
    class BetterSqlite3QueryRunner {
      driver = { options: { database: '/tmp/x/account.sqlite' } };
      async query(sql: string, parameters?: unknown[]) {
        if (sql.startsWith('BAD')) throw new Error("no such value 'secret'");
        return { sql, parameters };
      }
    }
    const definition = (instrumentation as any).init();
    definition.files[0].patch({ BetterSqlite3QueryRunner });
    const runner = new BetterSqlite3QueryRunner();
    await expect(runner.query(`SELECT "id" FROM "users" WHERE "email" = ? AND "id" > 5`, ['ann@example.com'])).resolves.toEqual({
      sql: expect.any(String),
      parameters: ['ann@example.com'],
    });
    await expect(runner.query('BAD')).rejects.toThrow();
    const [ok, failed] = exporter.getFinishedSpans();
    expect(ok.name).toBe('SELECT');
    expect(ok.kind).toBe(SpanKind.CLIENT);
    expect(ok.attributes).toEqual({
      'db.system.name': 'sqlite',
      'db.query.text': 'SELECT "id" FROM "users" WHERE "email" = ? AND "id" > ?',
      'db.namespace': 'account.sqlite',
    });
    expect(failed.status.code).toBe(2);
    expect(JSON.stringify(failed.events)).not.toContain('secret');
    expect(statementVerb('  insert into t values (?)')).toBe('INSERT');
  });
});

describe('shutdownTelemetry', () => {
  it('flushes once, and does nothing when telemetry never started', async () => {
    await expect(shutdownTelemetry()).resolves.toBeUndefined();
    const stop = jest.fn(async () => undefined);
    setTelemetryShutdown(stop);
    expect(telemetryStarted()).toBe(true);
    await shutdownTelemetry();
    await shutdownTelemetry();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(telemetryStarted()).toBe(false);
  });

  it('never holds the process up on a collector that does not answer, and never throws', async () => {
    setTelemetryShutdown(() => new Promise(() => undefined));
    const started = Date.now();
    await shutdownTelemetry(50);
    expect(Date.now() - started).toBeLessThan(1_000);
    setTelemetryShutdown(async () => {
      throw new Error('collector down');
    });
    await expect(shutdownTelemetry()).resolves.toBeUndefined();
  });
});

describe('formatPretty', () => {
  it('prints a JSON line as a readable one, with an error stack indented below', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2026-01-02T03:04:05.678Z',
      service: 'order',
      pid: 1,
      hostname: 'h',
      msg: 'failed',
      path: ['user'],
      err: { message: 'boom', stack: 'Error: boom\n    at x' },
    });
    expect(formatPretty(line)).toBe('03:04:05.678 ERROR [order] failed path=["user"]\n    Error: boom\n        at x\n');
    expect(formatPretty('not json')).toBe('not json\n');
  });
});

describe('isoTimeField', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is pino’s isoTime for the same clock, built again only when the millisecond changes', () => {
    const clock = jest.spyOn(Date, 'now');
    for (const now of [1_764_567_890_123, 1_764_567_890_123, 1_764_567_890_124, 0, 1_764_567_890_124]) {
      clock.mockReturnValue(now);
      expect(isoTimeField()).toBe(pino.stdTimeFunctions.isoTime());
    }
    clock.mockReturnValue(1_764_567_890_125);
    const formatted = jest.spyOn(Date.prototype, 'toISOString');
    const first = isoTimeField();
    expect(isoTimeField()).toBe(first);
    expect(isoTimeField()).toBe(first);
    expect(first).toBe(',"time":"2025-12-01T05:44:50.125Z"');
    expect(formatted).toHaveBeenCalledTimes(1);
  });
});
