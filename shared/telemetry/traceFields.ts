import { isSpanContextValid, trace } from '@opentelemetry/api';

export interface TraceFields {
  trace_id?: string;
  span_id?: string;
  /** `01` when the trace is sampled (and so exported), `00` when it is not. */
  trace_flags?: string;
}

/** The active span's ids, for a log line; none outside a span or when tracing is off. */
export function traceFields(): TraceFields {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId, trace_flags: context.traceFlags.toString(16).padStart(2, '0') };
}
