import path from 'node:path';

/** How the OpenTelemetry SDK of one process is set up, read from the standard `OTEL_*` variables. */
export interface TelemetrySettings {
  /** False when no OTLP endpoint is configured (or the SDK is disabled): the SDK is then never loaded. */
  enabled: boolean;
  /** `service.name`: OTEL_SERVICE_NAME, else the process's own name (router, account, product, order). */
  serviceName: string;
  /** The OTLP/HTTP encoding: protobuf (the OTLP default) or JSON. */
  protocol: 'http/protobuf' | 'http/json';
}

type Env = Record<string, string | undefined>;

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * The process's default service name from its entry script: `dist/router/main.js` is `router`,
 * `dist/subgraphs/order/main.js` is `order`, anything else its file name.
 */
export function serviceNameFromEntry(entry: string | undefined): string {
  if (!entry) return 'supergraph';
  const base = path.basename(entry).replace(/\.[cm]?[jt]s$/, '');
  return base === 'main' || base === 'index' ? path.basename(path.dirname(entry)) : base;
}

/**
 * Tracing is on only when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`
 * says otherwise. Nothing set means nothing loaded and nothing exported (the SDK's own default would
 * post to localhost:4318). Sampling is the SDK's: `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`.
 */
export function readTelemetrySettings(env: Env, defaultServiceName: string): TelemetrySettings {
  const serviceName = isSet(env.OTEL_SERVICE_NAME) ? env.OTEL_SERVICE_NAME.trim() : defaultServiceName;
  const protocolValue = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() || 'http/protobuf';
  const endpoint = isSet(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || isSet(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const unsupported = exporters.filter((name) => name !== 'otlp' && name !== 'none');
  if (unsupported.length > 0) {
    throw new Error(`OTEL_TRACES_EXPORTER must be otlp or none, got '${env.OTEL_TRACES_EXPORTER}'`);
  }
  const enabled = endpoint && !disabled && !exporters.includes('none');
  if (enabled && !(PROTOCOLS as readonly string[]).includes(protocolValue)) {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be one of ${PROTOCOLS.join(', ')} (OTLP over HTTP), got '${protocolValue}'`);
  }
  return { enabled, serviceName, protocol: protocolValue as TelemetrySettings['protocol'] };
}
