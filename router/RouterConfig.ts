import path from 'node:path';
import {
  DEFAULT_PORTS,
  DEFAULT_SUPERGRAPH_PATH,
  type Env,
  projectPath,
  readEnum,
  readInteger,
  readPort,
  readString,
  readUrl,
} from '../shared';

/** Everything the router reads from its environment, parsed once at start-up. */
export interface RouterConfig {
  /** Public GraphQL port (`/graphql`). Default 4000. */
  port: number;
  /** Admin port for `/health/*` (and later `/metrics`), never exposed publicly. Default 8088. */
  adminPort: number;
  /** The composed supergraph the router serves. Default `schema/supergraph.graphql`. */
  supergraphPath: string;
  /**
   * Subgraph URL overrides from `<NAME>_URL`, keyed by the upper-cased subgraph name as the supergraph
   * names it. A subgraph without one is reached at the URL in the supergraph.
   */
  subgraphUrls: Readonly<Record<string, string>>;
  production: boolean;
  logLevel: string;
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
}

/** Variables ending in `_URL` that are not subgraph locations. */
const NOT_SUBGRAPH_URLS = new Set(['DATABASE_URL', 'REDIS_URL', 'PRODUCT_INTERNAL_URL', 'TEST_DATABASE_URL', 'MIGRATION_DATABASE_URL']);

export function readRouterConfig(env: Env): RouterConfig {
  const production = readEnum(env, 'NODE_ENV', ['development', 'production', 'test'], 'development') === 'production';
  const subgraphUrls: Record<string, string> = {};
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
    subgraphUrls,
    production,
    logLevel: readString(env, 'LOG_LEVEL', 'info'),
    maxBodyBytes: readInteger(env, 'ROUTER_MAX_BODY_BYTES', 1024 * 1024, { min: 1024 }),
    corsOrigins: cors
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    subgraphIdleTimeoutMs: readInteger(env, 'ROUTER_SUBGRAPH_IDLE_TIMEOUT_MS', 4_000, { min: 100, max: 60_000 }),
    subgraphConnections: readInteger(env, 'ROUTER_SUBGRAPH_CONNECTIONS', 128, { min: 1, max: 10_000 }),
  };
}
