import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../../shared';
import { coordinatesOf } from './coordinatesOf';
import type { UsageRow, UsageStore } from './UsageStore';

/**
 * Counts which schema coordinates each operation uses, per day and client, in memory, and writes the
 * counts to the usage store every `flushIntervalMs`, off the request's hot path: a request only adds to a
 * Map (the coordinates of a document are computed once per supergraph version and document).
 */
export class UsageRecorder {
  private counts = new Map<string, UsageRow>();
  private readonly coordinates = new Map<string, string[]>();
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

  record(coordinates: readonly string[], client: string, operation: string, now = new Date()): void {
    const day = now.toISOString().slice(0, 10);
    for (const coordinate of coordinates) {
      const key = `${day}\u0000${client}\u0000${operation}\u0000${coordinate}`;
      const row = this.counts.get(key);
      if (row) row.count += 1;
      else this.counts.set(key, { day, client, operation, coordinate, count: 1 });
    }
  }

  /** Writes what was counted since the last flush. A failed write is logged and its counts dropped. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.counts.size === 0) return;
      const rows = [...this.counts.values()];
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
          let coordinates = this.coordinates.get(key);
          if (!coordinates) {
            coordinates = [...coordinatesOf(context.schema, context.document)];
            if (this.coordinates.size >= 2000) this.coordinates.delete(this.coordinates.keys().next().value as string);
            this.coordinates.set(key, coordinates);
          }
          const headers = context.request.http?.headers;
          const name = headers?.get('apollographql-client-name');
          const clientVersion = headers?.get('apollographql-client-version');
          const client = name ? (clientVersion ? `${name}@${clientVersion}` : name) : 'unknown';
          this.record(coordinates, client, context.operationName ?? '(anonymous)');
        },
      }),
    };
  }
}
