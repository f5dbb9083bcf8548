/**
 * Tracing helpers safe to import anywhere: they load no SDK (that is `register.ts`, the first import of
 * each process's `main.ts`).
 */
export { shutdownTelemetry, telemetryStarted } from './state';
export { tracedBatch } from './tracedBatch';
export type { TraceFields } from './traceFields';
export { traceFields } from './traceFields';
