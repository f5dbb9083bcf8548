import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogFormat } from './logFormat';
import { traceFields } from './telemetry/traceFields';

export type { Logger };

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * One JSON log line as a person reads it: `12:00:01.234 INFO  [router] message key=value trace=…`, an
 * error's stack on the lines after. For development (`LOG_FORMAT=pretty`); anything that parses logs
 * wants the JSON.
 */
export function formatPretty(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { time, level, msg, service, name, pid: _pid, hostname: _hostname, trace_id, span_id, trace_flags: _flags, err, ...rest } = record;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const label = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5);
  const fields = Object.entries(rest).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  if (trace_id) fields.push(`trace=${trace_id}/${span_id}`);
  let text = `${clock} ${label} [${service ?? name}] ${msg ?? ''}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}\n`;
  if (err && typeof err === 'object') {
    const { stack, message } = err as { stack?: string; message?: string };
    text += `${String(stack ?? message ?? JSON.stringify(err)).replace(/^/gm, '    ')}\n`;
  }
  return text;
}

function destinationFor(format: LogFormat): DestinationStream | undefined {
  if (format !== 'pretty') return undefined;
  return { write: (line: string) => void process.stdout.write(formatPretty(line)) };
}

/** The fields every logger redacts wherever a line puts them (pino's redaction paths). */
export const REDACTED_PATHS: readonly string[] = Object.freeze([
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-internal-token"]',
  // An API key (the default API_KEY_HEADER) is a credential: a logged request's headers never show it.
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'token',
  '*.token',
]);

/**
 * `logger` without its redaction, for the one line per request whose fields the code fixes (operation, client,
 * duration, outcome, codes) and none of which a redacted path names: the line is the same, and redaction's walk
 * of it (about 5 µs a line) is not done. Never for a line that logs an object or a string it was given, nor with
 * `%j` (pino's child then serializes differently: a lone surrogate is written as it is, a circular object as a
 * placeholder).
 */
export function fixedFieldsLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}

let isoTimeMs = Number.NaN;
let isoTimeText = '';

/**
 * pino's `isoTime` (`,"time":"<ISO 8601 with milliseconds>"`), built once per millisecond: a router writes a line
 * per request, often several within one millisecond under load, and formatting the date was 0.5 % of its busy CPU
 * on canned distinct product detail. The same text as pino's for the same `Date.now()`.
 */
export function isoTimeField(): string {
  const now = Date.now();
  if (now !== isoTimeMs) {
    isoTimeMs = now;
    isoTimeText = `,"time":"${new Date(now).toISOString()}"`;
  }
  return isoTimeText;
}

/**
 * A structured JSON logger for one process. Fields that could hold credentials are redacted wherever
 * they appear, so a careless `log.info({ headers })` cannot leak a token. Inside a span (OpenTelemetry on)
 * every line carries `trace_id`, `span_id` and `trace_flags`. `format` (the config's `LOG_FORMAT`): JSON by
 * default, `pretty` for readable lines.
 */
export function createLogger(name: string, level = 'info', format: LogFormat = 'json'): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: isoTimeField,
    mixin: traceFields,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  const destination = destinationFor(format);
  return destination ? pino(options, destination) : pino(options);
}
