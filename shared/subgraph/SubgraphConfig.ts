import { type DatabaseConfig, readDatabaseConfig } from '../db/DatabaseConfig';
import { DEFAULT_PORTS, type SubgraphName } from '../defaults';
import { ConfigError, type Env, readEnum, readInteger, readPort, readString } from '../env';

/** What every subgraph process reads from its environment. Subgraphs extend it with their own settings. */
export interface SubgraphConfig {
  name: SubgraphName;
  port: number;
  database: DatabaseConfig;
  production: boolean;
  logLevel: string;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes: number;
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
  const production = isProduction(env);
  const token = readString(env, 'INTERNAL_API_TOKEN', production ? '' : DEVELOPMENT_INTERNAL_API_TOKEN);
  if (production && token.length < 32) {
    throw new ConfigError('INTERNAL_API_TOKEN must be set to a random string of at least 32 characters in production');
  }
  return token;
}

export function readSubgraphConfig(env: Env, name: SubgraphName): SubgraphConfig {
  const production = isProduction(env);
  return {
    name,
    port: readPort(env, `${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name]),
    database: readDatabaseConfig(env, name),
    production,
    logLevel: readString(env, 'LOG_LEVEL', 'info'),
    maxBodyBytes: readInteger(env, 'MAX_BODY_BYTES', 1024 * 1024, { min: 1024 }),
  };
}
