import type { ApolloServerPlugin } from '@apollo/server';
import { ClientLabels, type Logger } from '../../shared';
import { coordinatesOf, type InputVariable, inputCoordinatesOf, inputVariablesOf } from './coordinatesOf';
import { type DocumentUse, type UsageRow, type UsageStore, usedDocumentId } from './UsageStore';

const DAY_MS = 86_400_000;
/** Longer documents are not recorded for warming (a MySQL TEXT holds 64 KiB, 16 Ki characters of any UTF-8). */
const MAX_RECORDED_DOCUMENT = 16_384;

/** Who sent an operation, as the `apollographql-client-name` and `-version` headers say. */
export interface UsageClient {
  name?: string | null;
  version?: string | null;
}

/**
 * Counts which schema coordinates each operation uses, per day and client, in memory, and writes the
 * counts to the usage store every `flushIntervalMs`, off the request's hot path: a request only adds to a
 * Map (the coordinates of a document are computed once per supergraph version and document; only an
 * operation whose variables can carry input objects or enum values reads their values per request). Each
 * request also counts its root type's name (`Query`, `Mutation`) once: how `schema check` knows how much
 * traffic its window holds.
 */
export class UsageRecorder {
  /** Rows by `day, client, operation`, then by coordinate: a request builds one key, not one per coordinate. */
  private counts = new Map<string, Map<string, UsageRow>>();
  /** The UTC day of `dayEndsAt - 1` (a request does not format a date). */
  private day = '';
  private dayEndsAt = 0;
  /** By supergraph version and document: the first operation run from it, and any other (a document may hold several). */
  private readonly documents = new Map<
    string,
    { name: string | null; usage: OperationUsage; others?: Map<string | null, OperationUsage> }
  >();
  /** Documents run since the last flush, by query hash and operation name as sent; at most `keepDocuments`. */
  private documentUses = new Map<string, DocumentUse>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /**
   * Client names, versions and operation names come from clients: as many distinct ones kept as the metrics
   * keep. Names and versions as clients write them (`Storefront Web`, `1.2.3 (45)`): any printable characters,
   * up to 64 for a name and 35 for a version, so that `name@version` fits the store's 100-character column.
   */
  private readonly labels = new ClientLabels({ clientName: /^\P{C}{1,64}$/u, clientVersion: /^\P{C}{1,35}$/u });

  constructor(
    private readonly store: UsageStore,
    private readonly logger: Logger,
    private readonly flushIntervalMs: number,
    /** How many of the most used documents the shared record keeps, for plan warming (0: no record). */
    private readonly keepDocuments = 0,
  ) {}

  /**
   * Counts one run of a document under the operation name the client sent (the gateway's plan cache keys on
   * both). Between two flushes at most `keepDocuments` distinct documents are counted: a burst of new ones
   * cannot grow memory; the record's own top-N bound decides which stay.
   */
  recordDocument(queryHash: string, operationName: string | null, body: string): void {
    if (this.keepDocuments === 0 || body.length > MAX_RECORDED_DOCUMENT) return;
    const key = `${queryHash}\u0000${operationName ?? ''}`;
    const use = this.documentUses.get(key);
    if (use) use.count += 1;
    else if (this.documentUses.size < this.keepDocuments) this.documentUses.set(key, { id: '', operationName, body, count: 1 });
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  /**
   * Counts one operation's coordinates for its client (`name@version`, `unknown` without a name) and operation
   * name (`(anonymous)` without one). Past the first 50 client names, 100 versions and 200 operation names this
   * process has seen, the rest are counted as `(other)` (`(invalid)` for a longer name or version, or one holding a
   * control character).
   */
  record(
    coordinates: readonly string[],
    from: UsageClient,
    operationName: string | null | undefined,
    now: Date | number = Date.now(),
  ): void {
    const day = this.dayOf(typeof now === 'number' ? now : now.getTime());
    const client = from.name
      ? this.labels.clientName(from.name) + (from.version ? `@${this.labels.clientVersion(from.version)}` : '')
      : 'unknown';
    const operation = this.labels.operation(operationName);
    const groupKey = `${day}\u0000${client}\u0000${operation}`;
    let group = this.counts.get(groupKey);
    if (!group) {
      group = new Map();
      this.counts.set(groupKey, group);
    }
    for (const coordinate of coordinates) {
      const row = group.get(coordinate);
      if (row) row.count += 1;
      else group.set(coordinate, { day, client, operation, coordinate, count: 1 });
    }
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
      await this.flushDocuments();
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

  private async flushDocuments(): Promise<void> {
    if (this.documentUses.size === 0) return;
    const uses = [...this.documentUses.values()].map((use) => ({ ...use, id: usedDocumentId(use.operationName, use.body) }));
    this.documentUses = new Map();
    try {
      await this.store.addDocuments(uses, this.keepDocuments);
    } catch (error) {
      this.logger.warn({ err: error, documents: uses.length }, 'could not write the most used documents; those counts are lost');
    }
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
          this.recordDocument(context.queryHash, context.request.operationName ?? null, context.source);
          const key = `${version()}\u0000${context.queryHash}`;
          const operationName = context.operationName;
          let document = this.documents.get(key);
          let usage = document?.name === operationName ? document.usage : document?.others?.get(operationName);
          if (!usage) {
            const known = coordinatesOf(context.schema, context.document, context.operation ?? undefined);
            const root = context.operation && context.schema.getRootType(context.operation.operation);
            const list = context.operation ? inputVariablesOf(context.schema, context.operation) : [];
            usage = { coordinates: [...known, ...(root ? [root.name] : [])], variables: list.length > 0 ? { list, known } : null };
            if (!document) {
              document = { name: operationName, usage };
              if (this.documents.size >= 2000) this.documents.delete(this.documents.keys().next().value as string);
              this.documents.set(key, document);
            } else {
              document.others ??= new Map();
              document.others.set(operationName, usage);
            }
          }
          let coordinates = usage.coordinates;
          if (usage.variables) {
            // What this request's variables (or their defaults) use, beyond what the document shows.
            const used = new Set<string>();
            const values = context.request.variables ?? {};
            for (const variable of usage.variables.list) {
              const value = values[variable.name];
              // Left out, the variable takes its default (a JSON body cannot hold undefined otherwise).
              if (value === undefined) for (const coordinate of variable.defaultCoordinates) used.add(coordinate);
              else inputCoordinatesOf(value, variable.plan, used);
            }
            for (const coordinate of used) if (usage.variables.known.has(coordinate)) used.delete(coordinate);
            if (used.size > 0) coordinates = [...coordinates, ...used];
          }
          const headers = context.request.http?.headers;
          const client = { name: headers?.get('apollographql-client-name'), version: headers?.get('apollographql-client-version') };
          this.record(coordinates, client, context.operationName);
        },
      }),
    };
  }
}

/** What an operation of a document uses, worked out once per supergraph version, document and operation. */
interface OperationUsage {
  /** The coordinates the document shows, and the operation's root type (`Query`, `Mutation`). */
  coordinates: string[];
  /** For the few operations whose variables can carry input objects or enum values: those, and the same coordinates as a set. */
  variables: { list: InputVariable[]; known: Set<string> } | null;
}
