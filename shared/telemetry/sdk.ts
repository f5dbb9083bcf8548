import type { IncomingMessage } from 'node:http';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetrySettings } from './config';
import { maskSqlLiterals, RedactingSpanProcessor } from './redaction';
import { TypeormSqliteInstrumentation } from './sqliteInstrumentation';
import { setTelemetryShutdown, telemetryStarted } from './state';

/** Probes and scrapers: no trace of their own. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

export function instrumentationsFor(_serviceName: string): Instrumentation[] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
    }),
    // The router's subgraph calls go through undici's Agent.request, fetch through Node's bundled undici:
    // both publish `undici:request:create`, where this starts the client span and injects `traceparent`.
    new UndiciInstrumentation(),
    new GraphQLInstrumentation({
      // Values in the document are masked (`allowValues` stays false); list items share one span.
      mergeItems: true,
      ignoreTrivialResolveSpans: true,
      // No resolver spans: Apollo Server wraps every resolver, so the instrumentation would wrap and depth-check
      // every field of every response (measured: 10 % sampling cost 17 % of throughput with them). A trace keeps
      // the parse, validate and execute spans, and under them the DataLoader batch and SQL spans, which say which
      // part of a request waited on what.
      depth: 2,
      ignoreResolveSpans: true,
    }),
    new MySQL2Instrumentation({ maskStatement: true, maskStatementHook: (sql) => maskSqlLiterals(sql) }),
    new TypeormSqliteInstrumentation(),
  ];
}

/**
 * Starts the OpenTelemetry SDK: W3C trace context, the instrumentations above, spans redacted then
 * batched to the OTLP/HTTP endpoint of the `OTEL_EXPORTER_OTLP_*` variables, sampled by `OTEL_TRACES_SAMPLER`.
 * No metrics or logs through OpenTelemetry (metrics are Prometheus, logs are pino on stdout).
 */
export function startTelemetry(settings: TelemetrySettings): void {
  if (telemetryStarted()) return;
  const exporter = settings.protocol === 'http/json' ? new OTLPJsonTraceExporter() : new OTLPProtoTraceExporter();
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    spanProcessors: [new RedactingSpanProcessor(), new BatchSpanProcessor(exporter)],
    instrumentations: instrumentationsFor(settings.serviceName),
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  setTelemetryShutdown(() => sdk.shutdown());
}
