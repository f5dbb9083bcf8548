import path from 'node:path';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import { maskSqlLiterals } from './redaction';

const VERSIONS = ['>=0.3.0 <0.4.0'];
const QUERY_RUNNER_FILE = 'typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner.js';

interface QueryRunnerPrototype {
  query: (this: QueryRunnerLike, query: string, parameters?: unknown[], useStructuredResult?: boolean) => Promise<unknown>;
}

interface QueryRunnerLike {
  driver?: { options?: { database?: unknown } };
}

/** The statement's verb (`SELECT`, `INSERT`…), the span's name as the mysql2 instrumentation names it. */
export function statementVerb(sql: string): string {
  return /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
}

/**
 * Client spans for the statements TypeORM runs on embedded SQLite (better-sqlite3 has no instrumentation
 * of its own): one per `BetterSqlite3QueryRunner.query`, with the statement (placeholders, literals
 * masked) and never its parameters.
 */
export class TypeormSqliteInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('supergraph.typeorm-better-sqlite3', '1.0.0', config);
  }

  protected init(): InstrumentationNodeModuleDefinition {
    const file = new InstrumentationNodeModuleFile(
      QUERY_RUNNER_FILE,
      VERSIONS,
      (moduleExports: { BetterSqlite3QueryRunner?: { prototype: QueryRunnerPrototype } }) => {
        const prototype = moduleExports.BetterSqlite3QueryRunner?.prototype;
        if (prototype) this._wrap(prototype, 'query', (original) => this.patchQuery(original));
        return moduleExports;
      },
      (moduleExports?: { BetterSqlite3QueryRunner?: { prototype: QueryRunnerPrototype } }) => {
        const prototype = moduleExports?.BetterSqlite3QueryRunner?.prototype;
        if (prototype) this._unwrap(prototype, 'query');
      },
    );
    return new InstrumentationNodeModuleDefinition('typeorm', VERSIONS, undefined, undefined, [file]);
  }

  private patchQuery(original: QueryRunnerPrototype['query']): QueryRunnerPrototype['query'] {
    const instrumentation = this;
    return function tracedQuery(this: QueryRunnerLike, query, ...rest) {
      if (typeof query !== 'string') return original.call(this, query, ...rest);
      const database = this.driver?.options?.database;
      const span = instrumentation.tracer.startSpan(statementVerb(query), {
        kind: SpanKind.CLIENT,
        attributes: {
          // The attribute names the mysql2 instrumentation uses (stable database semantic conventions).
          'db.system.name': 'sqlite',
          'db.query.text': maskSqlLiterals(query, { doubleQuotedIdentifiers: true }),
          ...(typeof database === 'string' ? { 'db.namespace': path.basename(database) } : {}),
        },
      });
      const finish = (error?: unknown) => {
        if (error !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      };
      try {
        return context
          .with(trace.setSpan(context.active(), span), () => original.call(this, query, ...rest))
          .then(
            (result) => {
              finish();
              return result;
            },
            (error: unknown) => {
              finish(error);
              throw error;
            },
          );
      } catch (error) {
        finish(error);
        throw error;
      }
    };
  }
}
