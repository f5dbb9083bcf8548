import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../../shared';
import { coordinatesOf, type InputVariable, inputCoordinatesOf, inputVariablesOf } from './coordinatesOf';
import type { UsageRow, UsageStore } from './UsageStore';

const DAY_MS = 86_400_000;

function count(group: Map<string, UsageRow>, day: string, client: string, operation: string, coordinate: string): void {
  const row = group.get(coordinate);
  if (row) row.count += 1;
  else group.set(coordinate, { day, client, operation, coordinate, count: 1 });
}

/** What a document uses, computed once per supergraph version and document. */
interface DocumentUsage {
  coordinates: string[];
  /** The same, as a set, and the operations' variables that can carry input fields or enum values; null for most documents. */
  variables: { known: Set<string>; byOperation: Map<string | null, InputVariable[]> } | null;
}

/**
 * Counts which schema coordinates each operation uses, per day and client, in memory, and writes the
 * counts to the usage store every `flushIntervalMs`, off the request's hot path: a request only adds to a
 * Map (the coordinates of a document are computed once per supergraph version and document; only a
 * document whose variables can carry input objects or enum values walks them per request). Each request
 * also counts its root type's name (`Query`, `Mutation`): one per request, which is how `schema check`
 * knows how much traffic its window holds.
 */
export class UsageRecorder {
  /** Rows by `day, client, operation`, then by coordinate: a request builds one key, not one per coordinate. */
  private counts = new Map<string, Map<string, UsageRow>>();
  /** The UTC day of `dayEndsAt - 1` (a request does not format a date). */
  private day = '';
  private dayEndsAt = 0;
  private readonly documents = new Map<string, DocumentUsage>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: UsageStore,
    private readonly logger: Logger,
    private readonly flushIntervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Counts one request: `coordinates`, then `extra` (none of which may be in `coordinates`). */
  record(
    coordinates: readonly string[],
    client: string,
    operation: string,
    now: Date | number = Date.now(),
    extra: Iterable<string> = [],
  ): void {
    const day = this.dayOf(typeof now === 'number' ? now : now.getTime());
    const groupKey = `${day}\u0000${client}\u0000${operation}`;
    let group = this.counts.get(groupKey);
    if (!group) {
      group = new Map();
      this.counts.set(groupKey, group);
    }
    for (const coordinate of coordinates) count(group, day, client, operation, coordinate);
    for (const coordinate of extra) count(group, day, client, operation, coordinate);
  }

  private dayOf(ms: number): string {
    if (ms >= this.dayEndsAt || ms < this.dayEndsAt - DAY_MS) {
      this.day = new Date(ms).toISOString().slice(0, 10);
      this.dayEndsAt = (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
    }
    return this.day;
  }

  /** Writes what was counted since the last flush. A failed write is logged and its counts dropped. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.counts.size === 0) return;
      const rows = [...this.counts.values()].flatMap((group) => [...group.values()]);
      this.counts = new Map();
      try {
        await this.store.add(rows);
      } catch (error) {
        this.logger.warn({ err: error, rows: rows.length }, 'could not write schema usage; those counts are lost');
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    await this.store.close();
  }

  /** The Apollo Server plugin that feeds the recorder, after the operation is resolved and validated. */
  plugin(version: () => string): ApolloServerPlugin {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async (context) => {
          if (!context.document) return;
          const key = `${version()}\u0000${context.queryHash}`;
          let usage = this.documents.get(key);
          if (!usage) {
            const known = coordinatesOf(context.schema, context.document);
            const byOperation = inputVariablesOf(context.schema, context.document);
            usage = { coordinates: [...known], variables: byOperation ? { known, byOperation } : null };
            if (this.documents.size >= 2000) this.documents.delete(this.documents.keys().next().value as string);
            this.documents.set(key, usage);
          }
          // One count of the root type per request (what a check's traffic summary adds up), then what the
          // variables' values use, for the few documents whose variables can carry input objects or enum values.
          const root = context.operation ? context.schema.getRootType(context.operation.operation)?.name : undefined;
          let extra: Iterable<string> = root ? [root] : [];
          const variables = usage.variables?.byOperation.get(context.operation?.name?.value ?? null);
          if (variables && usage.variables) {
            const used = new Set<string>(extra);
            const values = context.request.variables ?? {};
            for (const variable of variables) inputCoordinatesOf(values[variable.name], variable.plan, used);
            for (const coordinate of used) if (usage.variables.known.has(coordinate)) used.delete(coordinate);
            extra = used;
          }
          const headers = context.request.http?.headers;
          const name = headers?.get('apollographql-client-name');
          const clientVersion = headers?.get('apollographql-client-version');
          const client = name ? (clientVersion ? `${name}@${clientVersion}` : name) : 'unknown';
          this.record(usage.coordinates, client, context.operationName ?? '(anonymous)', Date.now(), extra);
        },
      }),
    };
  }
}
