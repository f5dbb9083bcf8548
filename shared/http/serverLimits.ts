import { type Env, readEnum, readInteger } from '../env';

/** How a process's HTTP servers bound slow clients and stop (the same variables for the router and the subgraphs). */
export interface ServerLimits {
  /** Longest wait for a request's headers, in ms (`HTTP_HEADERS_TIMEOUT_MS`, default 10 s): a slow client cannot hold a socket. */
  headersTimeoutMs: number;
  /** Longest wait for a whole request (headers and body), in ms (`HTTP_REQUEST_TIMEOUT_MS`, default 30 s). */
  requestTimeoutMs: number;
  /**
   * On SIGTERM, how long readiness answers 503 before the process stops accepting (`SHUTDOWN_DRAIN_DELAY_MS`;
   * default 5 s in production, 0 otherwise): a load balancer sees it leave before connections are refused.
   */
  drainDelayMs: number;
  /** How long in-flight requests may take to finish after that, in ms (`SHUTDOWN_GRACE_MS`, default 10 s); then sockets are cut. */
  shutdownGraceMs: number;
  /**
   * The longest a subgraph works on one request, in ms (`SUBGRAPH_MAX_REQUEST_MS`, default 30 s); the router's
   * `x-request-time-left-ms` shortens it per request.
   */
  maxRequestMs: number;
}

export function readServerLimits(env: Env): ServerLimits {
  const production = readEnum(env, 'NODE_ENV', ['development', 'production', 'test'], 'development') === 'production';
  const headersTimeoutMs = readInteger(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 });
  return {
    headersTimeoutMs,
    requestTimeoutMs: readInteger(env, 'HTTP_REQUEST_TIMEOUT_MS', Math.max(30_000, headersTimeoutMs), {
      min: headersTimeoutMs,
      max: 3_600_000,
    }),
    drainDelayMs: readInteger(env, 'SHUTDOWN_DRAIN_DELAY_MS', production ? 5_000 : 0, { min: 0, max: 600_000 }),
    shutdownGraceMs: readInteger(env, 'SHUTDOWN_GRACE_MS', 10_000, { min: 0, max: 600_000 }),
    maxRequestMs: readInteger(env, 'SUBGRAPH_MAX_REQUEST_MS', 30_000, { min: 1, max: 3_600_000 }),
  };
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = readServerLimits({});
