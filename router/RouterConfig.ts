import path from 'node:path';
import {
  ConfigError,
  type DatabaseConfig,
  DEFAULT_PORTS,
  DEFAULT_SUPERGRAPH_PATH,
  developmentSubgraphSecret,
  type Env,
  type LogFormat,
  projectPath,
  readBoolean,
  readEnum,
  readInteger,
  readLogFormat,
  readOptionalString,
  readPort,
  readServerLimits,
  readString,
  readUrl,
  refuseShippedSecrets,
  type ServerLimits,
} from '../shared';
import type { AuthConfig } from './auth/createAuthenticator';
import { type EntityCacheConfig, readEntityCacheConfig } from './cache/EntityCacheConfig';
import { type DemandControlConfig, readDemandControlConfig } from './demand/DemandControlConfig';
import type { ExplorerKind } from './http/landingPage';
import type { TrustedDocumentsMode } from './persisted/TrustedDocuments';
import { readUsageDatabaseConfig } from './usage/UsageStore';

/** Everything the router reads from its environment, parsed once at start-up. */
export interface RouterConfig {
  /** Public GraphQL port (`/graphql`). Default 4000. */
  port: number;
  /** Admin port for `/health/*` and `/metrics`, never exposed publicly. Default 8088. */
  adminPort: number;
  /** The composed supergraph the router serves, reloaded when it changes. Default `schema/supergraph.graphql`. */
  supergraphPath: string;
  /** Poll this URL for the supergraph instead of the file (`SUPERGRAPH_URL`). */
  supergraphUrl: string | null;
  /**
   * A last-known-good copy of the supergraph (`SUPERGRAPH_CACHE_PATH`, default none): written on each supergraph
   * loaded; a router that starts while its source is down (or serves a refused supergraph) starts from it.
   */
  supergraphCachePath: string | null;
  /** How often the file or URL is checked for a new supergraph (`SUPERGRAPH_POLL_INTERVAL_MS`): 1 s for a file, 10 s for a URL. */
  supergraphPollIntervalMs: number;
  /**
   * Subgraph URL overrides from `<NAME>_URL`, keyed by the upper-cased subgraph name as the supergraph
   * names it. A subgraph without one is reached at the URL in the supergraph.
   */
  subgraphUrls: Readonly<Record<string, string>>;
  production: boolean;
  /**
   * What a browser gets at `/graphql` (`EXPLORER`): `graphiql` (the development default: GraphiQL served by the
   * router, no CDN), `sandbox` (Apollo Sandbox from Apollo's CDN), or, in production always, `plain` (no explorer).
   */
  explorer: ExplorerKind;
  logLevel: string;
  /** `LOG_FORMAT`: `pretty` for readable lines in development; JSON otherwise (the default). */
  logFormat: LogFormat;
  /** Largest request body, in bytes; larger ones get 413 PAYLOAD_TOO_LARGE. Default 1 MiB. */
  maxBodyBytes: number;
  /**
   * Origins allowed by CORS. `*` (the development default) allows any, which lets the embedded Apollo
   * Sandbox in; production defaults to none (same-origin only) until `CORS_ORIGINS` lists them.
   */
  corsOrigins: readonly string[];
  /** Idle timeout of the router's sockets to subgraphs (must be below their keep-alive timeout). Default 4000 ms. */
  subgraphIdleTimeoutMs: number;
  /** Most sockets per subgraph. Default 128. */
  subgraphConnections: number;
  /**
   * How long a subgraph may take to answer, in ms (`ROUTER_SUBGRAPH_TIMEOUT_MS`, default 5000, well under a
   * client's usual 30 s); `<NAME>_SUBGRAPH_TIMEOUT_MS` sets one subgraph's. Past it the router answers with
   * what the other subgraphs returned and SUBGRAPH_TIMEOUT where this one's part was.
   */
  subgraphTimeoutMs: number;
  subgraphTimeouts: Readonly<Record<string, number>>;
  /**
   * The whole request's deadline at the router, in ms (`ROUTER_REQUEST_TIMEOUT_MS`, default 10 s): every
   * subgraph call gets at most the time left, and is not started once it is gone.
   */
  requestTimeoutMs: number;
  /**
   * Retries of failed subgraph calls, for queries only (a mutation is never sent twice): on connection errors
   * and 502/503/504, with jittered exponential backoff from `baseDelayMs`, at most `maxRetries` per call
   * (`ROUTER_SUBGRAPH_RETRIES`, default 2), and in all at most `budgetPercent` % of calls
   * (`ROUTER_RETRY_BUDGET_PERCENT`, default 10) so that retries cannot pile onto a failing subgraph.
   */
  retry: { maxRetries: number; baseDelayMs: number; budgetPercent: number };
  /**
   * One circuit breaker per subgraph: `failureThreshold` failed calls (`ROUTER_BREAKER_FAILURES`, default 5)
   * that are at least half of the calls within `windowMs` (`ROUTER_BREAKER_WINDOW_MS`, 10 s) open it; calls
   * then fail fast for `cooldownMs` (`ROUTER_BREAKER_COOLDOWN_MS`, 5 s), then one probe decides.
   */
  breaker: { failureThreshold: number; failureRatio: number; windowMs: number; cooldownMs: number };
  /**
   * Load shedding: while the event loop lagged more than this in the last second, new requests get a quick
   * 503 OVERLOADED with `Retry-After` instead of queueing (`ROUTER_MAX_EVENT_LOOP_LAG_MS`, default 500; 0 = off).
   */
  maxEventLoopLagMs: number;
  /**
   * Share one subgraph call between identical queries in flight at once for the same caller
   * (`ROUTER_DEDUPLICATE_QUERIES`, default true). Mutations are never shared.
   */
  deduplicateQueries: boolean;
  /**
   * The router's faster versions of gateway internals on every request (`ROUTER_GATEWAY_FAST_PATHS`, default
   * true): response shaping (`gateway/fastPaths/resultShaping.ts`), reuse of the operation built for a
   * document (`gateway/fastPaths/operationReuse.ts`), subgraph calls without a node-fetch Request
   * (`gateway/fastPaths/sendRequest.ts`), and memos of what Apollo Server and the gateway recompute from the same
   * text on every request: the document's and the plan key's SHA-256, media type negotiation, the CSRF check
   * (`gateway/fastPaths/apolloServer.ts`). The same responses; tests compare them with the packages' own code.
   * Process-wide, and each only on the package versions it was tested with (`gateway/fastPaths/versionCheck.ts`).
   */
  gatewayFastPaths: boolean;
  /**
   * Progressive `@override(label:)` (`gateway/overrideLabels/`): the router decides each request's labels and
   * plans with them (`ROUTER_OVERRIDE_LABELS`, default true; false plans every label as off, as the stock gateway
   * does). Named labels are set in `file` (`OVERRIDE_LABELS_FILE`, re-read at every supergraph poll).
   */
  overrideLabels: { enabled: boolean; file: string | null };
  /** Slow-client bounds and shutdown timing (`HTTP_*_TIMEOUT_MS`, `SHUTDOWN_*`). */
  limits: ServerLimits;
  /**
   * Trusted documents (`PERSISTED_QUERIES`: off, allow, enforce; default allow): the lists client builds ship,
   * one JSON manifest per client name and version in `PERSISTED_QUERIES_DIR` (default `persisted-queries/`).
   */
  trustedDocuments: { mode: TrustedDocumentsMode; dir: string };
  /**
   * Automatic persisted queries' cache. `redisUrl` (`CACHE_REDIS_URL`, default `REDIS_URL`): in Redis, shared by
   * every router replica; unset, in each process. Every entry expires after `ttlSeconds` (`APQ_TTL_SECONDS`,
   * default 86400) and none is over `maxEntryBytes` (`APQ_MAX_ENTRY_BYTES`, default 65536). `sharesBudgetRedis`:
   * the cache defaulted to the Redis of the budgets, which must not evict (the router warns at start).
   */
  apq: { redisUrl: string | null; ttlSeconds: number; maxEntryBytes: number; maxTotalBytes: number; sharesBudgetRedis: boolean };
  /** How bearer tokens are verified (`JWT_*`). */
  auth: AuthConfig;
  /**
   * The router's credential for each subgraph, from `<NAME>_SUBGRAPH_SECRET` (NAME as the supergraph names
   * the subgraph, upper case). Outside production a subgraph without one gets the development default.
   */
  subgraphSecrets: Readonly<Record<string, string>>;
  /** Cost and operation limits, client budgets (`MAX_*`, `BUDGET_*`, `REDIS_URL`…). */
  demand: DemandControlConfig;
  /**
   * Recording which schema coordinates operations use (`USAGE_RECORDING`, default true), for schema checks;
   * written every `USAGE_FLUSH_INTERVAL_MS` (5000) to the router's store (`ROUTER_DATABASE_URL`, else the
   * `router` database on `DATABASE_URL`, else `.data/router.sqlite`).
   */
  usage: { enabled: boolean; flushIntervalMs: number; database: DatabaseConfig };
  /**
   * Query plans built before readiness turns green (`router/warmup/`): at most `maxDocuments`
   * (`WARM_MAX_DOCUMENTS`, default 500; 0 turns warming and the record of the most used documents off), trusted
   * documents first, then the record's most used; for at most `timeoutMs` (`WARM_TIMEOUT_MS`, default 10000),
   * after which readiness turns green anyway.
   */
  warmup: { maxDocuments: number; timeoutMs: number };
  /** The entity cache (`ENTITY_CACHE`, `ENTITY_CACHE_*`, `CACHE_REDIS_URL`, `CACHE_ADMIN_TOKEN`): docs/entity-cache.md. */
  entityCache: EntityCacheConfig;
}

/** The development default HS256 secret; production refuses it. */
export const DEVELOPMENT_JWT_SECRET = 'dev-only-jwt-secret-do-not-use-in-production';
const SYMMETRIC = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function readAuthConfig(env: Env, production: boolean): AuthConfig {
  const jwksUrl = readUrl(env, 'JWT_JWKS_URL') ?? null;
  const configuredSecret = readString(env, 'JWT_SECRET', '');
  if (jwksUrl && configuredSecret) {
    throw new ConfigError(
      'Set JWT_SECRET (HS256) or JWT_JWKS_URL (RS256/ES256), not both: a router that accepts both is open to algorithm confusion',
    );
  }
  let secret: string | null = null;
  if (!jwksUrl) {
    secret = configuredSecret || (production ? '' : DEVELOPMENT_JWT_SECRET);
    if (production && (secret.length < 32 || secret === DEVELOPMENT_JWT_SECRET)) {
      throw new ConfigError('JWT_SECRET must be a random string of at least 32 characters in production (or set JWT_JWKS_URL)');
    }
  }
  const allowed = jwksUrl ? ASYMMETRIC : SYMMETRIC;
  const algorithms = readString(env, 'JWT_ALGORITHMS', jwksUrl ? 'RS256,ES256' : 'HS256')
    .split(',')
    .map((algorithm) => algorithm.trim())
    .filter(Boolean);
  const wrong = algorithms.filter((algorithm) => !allowed.includes(algorithm));
  if (algorithms.length === 0 || wrong.length > 0) {
    throw new ConfigError(
      `JWT_ALGORITHMS must list ${jwksUrl ? 'asymmetric algorithms (JWKS)' : 'HMAC algorithms (JWT_SECRET)'} from ${allowed.join(', ')}; got '${wrong.join(',') || '(none)'}'`,
    );
  }
  return {
    secret,
    jwksUrl,
    algorithms,
    issuer: readString(env, 'JWT_ISSUER', 'supergraph-dev'),
    audience: readString(env, 'JWT_AUDIENCE', 'supergraph'),
    clockToleranceSeconds: readInteger(env, 'JWT_CLOCK_TOLERANCE_S', 5, { min: 0, max: 300 }),
  };
}

/**
 * The credential for subgraph `name`: its `<NAME>_SUBGRAPH_SECRET`, or the development default outside
 * production. Production refuses a missing, short or default one.
 */
export function subgraphSecretFor(config: Pick<RouterConfig, 'subgraphSecrets' | 'production'>, name: string): string {
  const variable = `${name.toUpperCase()}_SUBGRAPH_SECRET`;
  const secret = config.subgraphSecrets[name.toUpperCase()];
  if (config.production && (!secret || secret.length < 32 || secret === developmentSubgraphSecret(name))) {
    throw new ConfigError(`${variable} must be set to a random string of at least 32 characters in production`);
  }
  return secret ?? developmentSubgraphSecret(name);
}

function readExplorer(env: Env, production: boolean): ExplorerKind {
  const explorer = readEnum(env, 'EXPLORER', ['graphiql', 'sandbox'] as const, 'graphiql');
  if (production && readOptionalString(env, 'EXPLORER')) {
    // Production turns introspection off, so an explorer would show no schema: refuse rather than pretend.
    throw new ConfigError(
      `EXPLORER is for development: production serves a plain page with no explorer; unset EXPLORER (got '${explorer}')`,
    );
  }
  return production ? 'plain' : explorer;
}

function readApqConfig(env: Env): RouterConfig['apq'] {
  const cacheUrl = readUrl(env, 'CACHE_REDIS_URL') ?? null;
  const budgetUrl = readUrl(env, 'REDIS_URL') ?? null;
  return {
    redisUrl: cacheUrl ?? budgetUrl,
    ttlSeconds: readInteger(env, 'APQ_TTL_SECONDS', 86_400, { min: 1, max: 30 * 86_400 }),
    maxEntryBytes: readInteger(env, 'APQ_MAX_ENTRY_BYTES', 65_536, { min: 256, max: 16 * 1024 * 1024 }),
    maxTotalBytes: readInteger(env, 'APQ_MAX_TOTAL_BYTES', 64 * 1024 * 1024, { min: 1024, max: 16 * 1024 * 1024 * 1024 }),
    sharesBudgetRedis: budgetUrl !== null && (cacheUrl === null || cacheUrl === budgetUrl),
  };
}

/** Variables ending in `_URL` that are not subgraph locations. */
const NOT_SUBGRAPH_URLS = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'PRODUCT_INTERNAL_URL',
  'TEST_DATABASE_URL',
  'MIGRATION_DATABASE_URL',
  'SUPERGRAPH_URL',
  'TEST_REDIS_URL',
  'CACHE_REDIS_URL',
]);

export function readRouterConfig(env: Env): RouterConfig {
  const production = readEnum(env, 'NODE_ENV', ['development', 'production', 'test'], 'development') === 'production';
  if (production) refuseShippedSecrets(env);
  const subgraphUrls: Record<string, string> = {};
  const subgraphSecrets: Record<string, string> = {};
  const subgraphTimeouts: Record<string, number> = {};
  for (const name of Object.keys(env)) {
    const match = /^([A-Z][A-Z0-9_]*)_SUBGRAPH_TIMEOUT_MS$/.exec(name);
    if (match && match[1] !== 'ROUTER') subgraphTimeouts[match[1]] = readInteger(env, name, 5000, { min: 1, max: 600_000 });
  }
  for (const name of Object.keys(env)) {
    const match = /^([A-Z][A-Z0-9_]*)_SUBGRAPH_SECRET$/.exec(name);
    const value = match && readOptionalString(env, name);
    if (match && value) subgraphSecrets[match[1]] = value;
  }
  for (const name of Object.keys(env)) {
    if (!/^[A-Z][A-Z0-9_]*_URL$/.test(name) || NOT_SUBGRAPH_URLS.has(name) || name.endsWith('_DATABASE_URL')) continue;
    const url = readUrl(env, name);
    if (url) subgraphUrls[name.slice(0, -'_URL'.length)] = url;
  }
  const cors = readString(env, 'CORS_ORIGINS', production ? '' : '*');
  return {
    port: readPort(env, 'ROUTER_PORT', DEFAULT_PORTS.router),
    adminPort: readPort(env, 'ROUTER_ADMIN_PORT', DEFAULT_PORTS.routerAdmin),
    supergraphPath: path.resolve(readString(env, 'SUPERGRAPH_PATH', projectPath(DEFAULT_SUPERGRAPH_PATH))),
    supergraphUrl: readUrl(env, 'SUPERGRAPH_URL') ?? null,
    supergraphCachePath: ((file) => (file ? path.resolve(file) : null))(readOptionalString(env, 'SUPERGRAPH_CACHE_PATH')),
    supergraphPollIntervalMs: readInteger(env, 'SUPERGRAPH_POLL_INTERVAL_MS', readOptionalString(env, 'SUPERGRAPH_URL') ? 10_000 : 1_000, {
      min: 10,
      max: 3_600_000,
    }),
    subgraphUrls,
    production,
    explorer: readExplorer(env, production),
    logLevel: readString(env, 'LOG_LEVEL', 'info'),
    logFormat: readLogFormat(env),
    maxBodyBytes: readInteger(env, 'ROUTER_MAX_BODY_BYTES', 1024 * 1024, { min: 1024 }),
    corsOrigins: cors
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    subgraphIdleTimeoutMs: readInteger(env, 'ROUTER_SUBGRAPH_IDLE_TIMEOUT_MS', 4_000, { min: 100, max: 60_000 }),
    subgraphConnections: readInteger(env, 'ROUTER_SUBGRAPH_CONNECTIONS', 128, { min: 1, max: 10_000 }),
    subgraphTimeoutMs: readInteger(env, 'ROUTER_SUBGRAPH_TIMEOUT_MS', 5000, { min: 1, max: 600_000 }),
    subgraphTimeouts,
    requestTimeoutMs: readInteger(env, 'ROUTER_REQUEST_TIMEOUT_MS', 10_000, { min: 1, max: 600_000 }),
    retry: {
      maxRetries: readInteger(env, 'ROUTER_SUBGRAPH_RETRIES', 2, { min: 0, max: 10 }),
      baseDelayMs: readInteger(env, 'ROUTER_RETRY_BASE_DELAY_MS', 25, { min: 0, max: 10_000 }),
      budgetPercent: readInteger(env, 'ROUTER_RETRY_BUDGET_PERCENT', 10, { min: 0, max: 100 }),
    },
    breaker: {
      failureThreshold: readInteger(env, 'ROUTER_BREAKER_FAILURES', 5, { min: 1, max: 10_000 }),
      failureRatio: 0.5,
      windowMs: readInteger(env, 'ROUTER_BREAKER_WINDOW_MS', 10_000, { min: 100, max: 3_600_000 }),
      cooldownMs: readInteger(env, 'ROUTER_BREAKER_COOLDOWN_MS', 5_000, { min: 10, max: 3_600_000 }),
    },
    maxEventLoopLagMs: readInteger(env, 'ROUTER_MAX_EVENT_LOOP_LAG_MS', 500, { min: 0, max: 60_000 }),
    limits: readServerLimits(env),
    deduplicateQueries: readBoolean(env, 'ROUTER_DEDUPLICATE_QUERIES', true),
    gatewayFastPaths: readBoolean(env, 'ROUTER_GATEWAY_FAST_PATHS', true),
    overrideLabels: {
      enabled: readBoolean(env, 'ROUTER_OVERRIDE_LABELS', true),
      file: optionalPath(readOptionalString(env, 'OVERRIDE_LABELS_FILE')),
    },
    trustedDocuments: {
      mode: readEnum(env, 'PERSISTED_QUERIES', ['off', 'allow', 'enforce'] as const, 'allow'),
      dir: path.resolve(readString(env, 'PERSISTED_QUERIES_DIR', projectPath('persisted-queries'))),
    },
    apq: readApqConfig(env),
    auth: readAuthConfig(env, production),
    subgraphSecrets,
    demand: readDemandControlConfig(env),
    usage: {
      enabled: readBoolean(env, 'USAGE_RECORDING', true),
      flushIntervalMs: readInteger(env, 'USAGE_FLUSH_INTERVAL_MS', 5000, { min: 10, max: 3_600_000 }),
      database: readUsageDatabaseConfig(env),
    },
    warmup: {
      maxDocuments: readInteger(env, 'WARM_MAX_DOCUMENTS', 500, { min: 0, max: 100_000 }),
      timeoutMs: readInteger(env, 'WARM_TIMEOUT_MS', 10_000, { min: 0, max: 600_000 }),
    },
    entityCache: readEntityCacheConfig(env, production),
  };
}

function optionalPath(value: string | undefined): string | null {
  return value ? path.resolve(value) : null;
}
