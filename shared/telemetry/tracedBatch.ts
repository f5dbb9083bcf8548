import { SpanStatusCode, trace } from '@opentelemetry/api';
import { recordBatch } from '../metrics/batches';

const tracer = trace.getTracer('supergraph.dataloader');

/**
 * A DataLoader batch function in a span of its own (`dataloader.batch <name>`, with the batch size), so a
 * trace shows which loader's statement a request waited on, and its size reported to the metrics. With tracing
 * off it costs a no-op span.
 */
export function tracedBatch<K, V>(
  name: string,
  batch: (keys: readonly K[]) => PromiseLike<ArrayLike<V | Error>>,
): (keys: readonly K[]) => Promise<ArrayLike<V | Error>> {
  const spanName = `dataloader.batch ${name}`;
  return (keys) => {
    // The batch size also goes to the subgraph's `dataloader_batch_size` histogram.
    recordBatch(name, keys.length);
    return tracer.startActiveSpan(
      spanName,
      { attributes: { 'dataloader.name': name, 'dataloader.batch_size': keys.length } },
      async (span) => {
        try {
          return await batch(keys);
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
