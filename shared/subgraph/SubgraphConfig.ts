import { type DatabaseConfig, readDatabaseConfig } from '../db/DatabaseConfig';
import { DEFAULT_PORTS, type SubgraphName } from '../defaults';
import { ConfigError, type Env, readEnum, readInteger, readPort, readString, readUrl } from '../env';
import { readServerLimits, type ServerLimits } from '../http/serverLimits';
import { developmentSubgraphSecret } from '../identity';
import { type LogFormat, readLogFormat } from '../logFormat';
import { refuseShippedSecrets } from '../shippedSecrets';

/** What every subgraph process reads from its environment. Subgraphs extend it with their own settings. */
export interface SubgraphConfig {
  name: SubgraphName;
  port: number;
  database: DatabaseConfig;
  production: boolean;
  logLevel: string;
  /** `LOG_FORMAT`: `pretty` for readable lines; JSON otherwise (and when absent here). */
  logFormat?: LogFormat;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes: number;
  /**
   * `SUBGRAPH_SECRET`: the router's credential for this subgraph (the router's `<NAME>_SUBGRAPH_SECRET`).
   * A development default outside production; production refuses to start without a strong one.
   */
  routerSecret: string;
  /** Slow-client bounds, request deadline and shutdown timing. */
  limits: ServerLimits;
  /**
   * `CACHE_REDIS_URL`, else `REDIS_URL`: where the changes this subgraph's writes declare are published to every
   * router's entity cache (docs/entity-cache.md), also for writes that do not answer through a router. Unset: they
   * reach the router only in GraphQL responses.
   */
  cacheRedisUrl?: string | null;
}

export const DEVELOPMENT_INTERNAL_API_TOKEN = 'dev-internal-api-token';

function isProduction(env: Env): boolean {
  return readEnum(env, 'NODE_ENV', ['development', 'production', 'test'], 'development') === 'production';
}

/**
 * `INTERNAL_API_TOKEN`: the service credential for the product subgraph's internal API (stock
 * reservation), which the product subgraph checks and the order subgraph sends. A development default is
 * used outside production; production refuses to start without a strong one.
 */
export function readInternalApiToken(env: Env): string {
  return readSecret(env, 'INTERNAL_API_TOKEN', DEVELOPMENT_INTERNAL_API_TOKEN);
}

/** Reads a secret that production requires to be set, at least 32 characters, and not a development default. */
export function readSecret(env: Env, variable: string, developmentDefault: string): string {
  const production = isProduction(env);
  const secret = readString(env, variable, production ? '' : developmentDefault);
  if (production && (secret.length < 32 || secret === developmentDefault)) {
    throw new ConfigError(`${variable} must be set to a random string of at least 32 characters in production`);
  }
  return secret;
}

export function readSubgraphConfig(env: Env, name: SubgraphName): SubgraphConfig {
  const production = isProduction(env);
  if (production) refuseShippedSecrets(env);
  return {
    routerSecret: readSecret(env, 'SUBGRAPH_SECRET', developmentSubgraphSecret(name)),
    name,
    port: readPort(env, `${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name]),
    database: readDatabaseConfig(env, name),
    production,
    logLevel: readString(env, 'LOG_LEVEL', 'info'),
    logFormat: readLogFormat(env),
    maxBodyBytes: readInteger(env, 'MAX_BODY_BYTES', 1024 * 1024, { min: 1024 }),
    limits: readServerLimits(env),
    cacheRedisUrl: readUrl(env, 'CACHE_REDIS_URL') ?? readUrl(env, 'REDIS_URL') ?? null,
  };
}
