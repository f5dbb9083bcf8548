import fs from 'node:fs';
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
  if (format === 'pretty') return { write: (line: string) => void process.stdout.write(formatPretty(line)) };
  // Something replaced stdout's write (a test capturing output): pino then writes through process.stdout, as it would.
  if (process.stdout.write !== Object.getPrototypeOf(process.stdout).write) return undefined;
  batchedStdout ??= new BatchedLines(process.stdout.fd ?? 1);
  return batchedStdout;
}

/** Characters of lines that go to stdout in one write (as many bytes for ASCII lines). */
const LOG_BATCH_CHARS = 8 * 1024;
/** How long a line may wait for others before it is written (while the event loop is free). */
export const LOG_BATCH_DELAY_MS = 50;
/** How much may wait for a stdout that takes nothing (a full pipe) before new lines are dropped. */
const LOG_MAX_WAITING_BYTES = 8 * 1024 * 1024;
/** A full pipe is tried again this often. */
const LOG_RETRY_MS = 1;

/** The process's JSON lines to stdout, shared by its loggers (one order, one exit flush). */
let batchedStdout: BatchedLines | null = null;

/**
 * JSON log lines written to a file descriptor in batches, with a synchronous write: when 8 KB wait, 50 ms after
 * the first line that waits, and at exit. pino's default destination hands each line to the thread pool as it
 * comes, and a router's lines come one at a time (a line per request): a pool write and its callback for every
 * request.
 *
 * Never blocks the event loop: a pipe that is full (EAGAIN) keeps what it did not take, tried again every ms,
 * and past 8 MB waiting new lines are dropped (and counted) rather than held without end. Any other write error
 * drops that batch: logging never throws at its caller. At exit, what waits is written, a full pipe waited out
 * for up to a second. What waits is lost when the process ends without an exit event (SIGKILL, an abort such as
 * running out of heap, a signal no handler takes): at most the last 50 ms of lines.
 */
export class BatchedLines implements DestinationStream {
  private waiting = '';
  /** Bytes a full pipe did not take, written before anything newer. */
  private unwritten: Buffer | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Lines dropped while a full pipe held 8 MB, not yet reported (a line says how many once the pipe takes lines). */
  dropped = 0;

  constructor(
    private readonly fd: number,
    private readonly delayMs = LOG_BATCH_DELAY_MS,
  ) {
    process.once('exit', () => this.flushSync());
  }

  write(line: string): void {
    if (this.unwritten !== null && this.unwritten.length + this.waiting.length > LOG_MAX_WAITING_BYTES) {
      this.dropped += 1;
      return;
    }
    this.waiting += line;
    if (this.waiting.length >= LOG_BATCH_CHARS && this.unwritten === null) this.push();
    else this.schedule(this.unwritten === null ? this.delayMs : LOG_RETRY_MS);
  }

  /** Writes what waits now, as far as stdout takes it (pino's `logger.flush(cb)` calls it). */
  flush(callback?: (error?: Error) => void): void {
    this.push();
    callback?.();
  }

  /** Writes what waits now, waiting out a full pipe for up to a second (at exit, and for pino's fatal lines). */
  flushSync(): void {
    for (let tries = 0; tries < 1_000; tries++) {
      this.push();
      if (this.unwritten === null) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, LOG_RETRY_MS);
    }
  }

  private schedule(ms: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.push();
    }, ms);
    this.timer.unref();
  }

  private push(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // What a full pipe kept goes first, on its own: lines that came since wait until it is all written.
    if (this.unwritten !== null) {
      const rest = this.unwritten;
      this.unwritten = null;
      if (!this.writeOut(rest)) return;
    }
    if (this.waiting !== '') {
      const lines = Buffer.from(this.waiting, 'utf8');
      this.waiting = '';
      if (!this.writeOut(lines)) return;
    }
    if (this.dropped === 0) return;
    // The pipe takes lines again: say how many it missed.
    const notice = {
      level: 40,
      time: new Date().toISOString(),
      msg: 'log lines dropped: stdout took nothing while 8 MB waited',
      dropped: this.dropped,
    };
    this.dropped = 0;
    this.writeOut(Buffer.from(`${JSON.stringify(notice)}\n`, 'utf8'));
  }

  /** Writes `chunk`; false when a full pipe kept part of it (written later, before anything newer). */
  private writeOut(chunk: Buffer): boolean {
    let offset = 0;
    try {
      while (offset < chunk.length) offset += fs.writeSync(this.fd, chunk, offset);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return true; // the reader gone, a full disk: dropped
      this.unwritten = chunk.subarray(offset);
      this.schedule(LOG_RETRY_MS);
      return false;
    }
  }
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
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceFields,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  const destination = destinationFor(format);
  return destination ? pino(options, destination) : pino(options);
}
