/**
 * The FIRST import of each process's `main.ts`: starts OpenTelemetry before anything it instruments (http,
 * graphql, mysql2, typeorm) is loaded. With no OTLP endpoint configured it loads nothing and changes
 * nothing but the exporter defaults, so the SDK's own default (posting to localhost:4318) never applies.
 */
import { readTelemetrySettings, serviceNameFromEntry } from './config';

const settings = readTelemetrySettings(process.env, serviceNameFromEntry(process.argv[1]));
for (const name of ['OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER', 'OTEL_LOGS_EXPORTER']) process.env[name] ??= 'none';
if (settings.enabled) {
  // Synchronous on purpose: the instrumentations must hook `require` before main.ts's next import.
  const { startTelemetry } = require('./sdk') as typeof import('./sdk');
  startTelemetry(settings);
}
