import { HeaderMap } from '@apollo/server';
import { createLogger, Metrics, REDACTED_PATHS, requestMetricsPlugin } from '../../shared';

/**
 * The one log line per request (issue 18): written without redaction's walk, so it must be the line the redacting
 * logger writes for the same fields, and hold no field a redacted path names.
 */
describe('the request log line', () => {
  // pino writes to process.stdout itself (not to file descriptor 1) only when process.stdout.write is replaced
  // as the logger is made: each test makes its loggers while stdout is captured.
  let written: string[] = [];
  let write: jest.SpyInstance;
  beforeEach(() => {
    written = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => write.mockRestore());

  /** The lines written to stdout while `run` runs, parsed, without their time. */
  async function linesOf(run: () => Promise<void> | void): Promise<Record<string, unknown>[]> {
    const from = written.length;
    await run();
    return written
      .slice(from)
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
        return rest;
      });
  }

  /** One request through the metrics plugin: its client headers, its operation name and its errors' codes. */
  async function request(logger: ReturnType<typeof createLogger>, options: { client?: string; operation: string | null; codes: string[] }) {
    const plugin = requestMetricsPlugin(new Metrics('router'), logger);
    const headers = new HeaderMap([
      ['authorization', 'Bearer secret-token'],
      ['x-api-key', 'sk_live_do_not_log_me'],
    ]);
    if (options.client) headers.set('apollographql-client-name', options.client);
    const listener = await plugin.requestDidStart?.({ request: { http: { headers } } } as never);
    const errors = options.codes.map((code) => ({ message: 'no', extensions: { code } }));
    await listener?.willSendResponse?.({
      operationName: options.operation,
      response: {
        body: {
          kind: 'single',
          singleResult: { data: errors.length > 0 ? null : { a: 1 }, errors: errors.length > 0 ? errors : undefined },
        },
      },
    } as never);
  }

  it.each([
    { client: 'web', operation: 'ProductList', codes: [] },
    { client: undefined, operation: null, codes: ['BAD_USER_INPUT', 'BAD_USER_INPUT', 'FORBIDDEN'] },
    { client: 'token', operation: 'password', codes: ['UNAUTHENTICATED'] },
  ])('is the line the redacting logger writes for its fields (client $client, operation $operation, codes $codes)', async (options) => {
    const logger = createLogger('router', 'info', 'json');
    const [line] = await linesOf(() => request(logger, options));
    expect(line).toMatchObject({ msg: 'graphql request', outcome: expect.any(String) });
    const { msg, level: _level, service: _service, name: _name, ...fields } = line;
    const [redacted] = await linesOf(() => logger.info(fields, String(msg)));
    expect(line).toEqual(redacted);
  });

  it('holds no field that a redacted path names, at any depth', async () => {
    const names = new Set(REDACTED_PATHS.flatMap((path) => path.split(/[.[\]"]+/).filter((part) => part && part !== '*')));
    expect(names).toEqual(new Set(['password', 'authorization', 'headers', 'x-internal-token', 'x-api-key', 'token']));
    const [line] = await linesOf(() =>
      request(createLogger('router', 'info', 'json'), { client: 'web', operation: 'Q', codes: ['FORBIDDEN'] }),
    );
    const keys = (value: unknown): string[] =>
      value && typeof value === 'object' ? Object.entries(value).flatMap(([key, inner]) => [key, ...keys(inner)]) : [];
    expect(keys(line).filter((key) => names.has(key))).toEqual([]);
    expect(JSON.stringify(line)).not.toContain('secret-token');
    expect(JSON.stringify(line)).not.toContain('sk_live_do_not_log_me');
  });
});
