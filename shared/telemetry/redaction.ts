import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface MaskSqlOptions {
  /** SQLite and standard SQL quote identifiers with `"`; MySQL (by default) quotes strings with it. */
  doubleQuotedIdentifiers?: boolean;
}

// One alternative per token, tried left to right: quoted identifiers are kept, literals become `?`.
const MYSQL_TOKENS =
  /(`(?:[^`]|``)*`)|'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"|\b[xX]'[0-9a-fA-F]*'|\b0[xX][0-9a-fA-F]+\b|(?<![\w$.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?\b/g;
const STANDARD_TOKENS =
  /(`(?:[^`]|``)*`|"(?:[^"]|"")*"|\[[^\]]*\])|'(?:[^']|'')*'|\b[xX]'[0-9a-fA-F]*'|\b0[xX][0-9a-fA-F]+\b|(?<![\w$.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?\b/g;

/**
 * The statement with every literal (string, number, hex) replaced by `?`, identifiers kept: what a span
 * may carry. Statements our code sends already use `?` placeholders; this catches anything inlined.
 */
export function maskSqlLiterals(sql: string, options: MaskSqlOptions = {}): string {
  const tokens = options.doubleQuotedIdentifiers ? STANDARD_TOKENS : MYSQL_TOKENS;
  return sql.replace(tokens, (_match, identifier: string | undefined) => identifier ?? '?');
}

/** Quoted strings in an error message (`Duplicate entry 'a@b.c' for key …`) become `?`. */
export function maskQuotedValues(message: string): string {
  return message.replace(/'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"/g, '?');
}

/** The URL without its query string (a GraphQL GET carries the document and variables there). */
export function withoutQuery(url: string): string {
  const index = url.search(/[?#]/);
  return index === -1 ? url : url.slice(0, index);
}

const SQL_ATTRIBUTES = ['db.statement', 'db.query.text'];
const URL_ATTRIBUTES = ['http.url', 'url.full', 'http.target'];
const DROPPED_ATTRIBUTES = ['url.query'];

function isDatabaseSpan(attributes: Record<string, unknown>): boolean {
  return attributes['db.system'] !== undefined || attributes['db.system.name'] !== undefined;
}

/** Rewrites one span's attributes in place. */
export function redactAttributes(attributes: Record<string, unknown>): void {
  const sqlite = attributes['db.system'] === 'sqlite' || attributes['db.system.name'] === 'sqlite';
  for (const key of SQL_ATTRIBUTES) {
    const value = attributes[key];
    if (typeof value === 'string') attributes[key] = maskSqlLiterals(value, { doubleQuotedIdentifiers: sqlite });
  }
  for (const key of URL_ATTRIBUTES) {
    const value = attributes[key];
    if (typeof value === 'string') attributes[key] = withoutQuery(value);
  }
  for (const key of DROPPED_ATTRIBUTES) delete attributes[key];
}

/**
 * Keeps personal data out of exported spans, whatever an instrumentation records: SQL literals masked,
 * query strings cut from URLs, quoted values cut from database errors. Put it before the exporting
 * processor: it rewrites the span that processor then exports.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    // Rewritten on the finished span (attributes set at start and after, exception events) before the
    // exporting processor, which comes next, queues it.
    const attributes = span.attributes as Record<string, unknown>;
    redactAttributes(attributes);
    if (!isDatabaseSpan(attributes)) return;
    for (const event of span.events) {
      const eventAttributes = event.attributes as Record<string, unknown> | undefined;
      if (!eventAttributes) continue;
      for (const key of ['exception.message', 'exception.stacktrace']) {
        const value = eventAttributes[key];
        if (typeof value === 'string') eventAttributes[key] = maskQuotedValues(value);
      }
    }
    if (span.status.message) (span.status as { message?: string }).message = maskQuotedValues(span.status.message);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
