import { ConfigError, type Env, readBoolean, readEnum, readInteger, readOptionalString, readString, readUrl } from '../../shared';
import { type ApiKeyEntry, readApiKeys } from './ApiKeys';
import { DEFAULT_SLICING_ARGUMENTS } from './inferListSizes';
import { TrustedProxies } from './TrustedProxies';

/**
 * `enforce` refuses what is over the limit; `measure` only logs and counts it, for rolling a new limit out
 * (watch the logs, then switch to enforce).
 */
export type LimitMode = 'enforce' | 'measure';

export interface Limit {
  max: number;
  mode: LimitMode;
}

export interface BudgetConfig {
  /** Cost points a client's bucket holds when full. Default 2000. */
  capacity: number;
  /** Points restored per second. Default 100. */
  restorePerSecond: number;
  /** `enforce` (429 when empty), `measure` (count only) or `off`. */
  mode: LimitMode | 'off';
}

/** Everything demand control reads from the environment: each limit with its variable, default and mode. */
export interface DemandControlConfig {
  /** `MAX_OPERATION_COST` (1000): the most an operation's estimated cost may be. */
  maxCost: Limit;
  /** `MAX_DEPTH` (12): deepest field nesting. */
  maxDepth: Limit;
  /** `MAX_ALIASES` (30): aliased fields in one operation. */
  maxAliases: Limit;
  /** `MAX_ROOT_FIELDS` (20): fields at the root of one operation. */
  maxRootFields: Limit;
  /** `MAX_TOKENS` (5000): lexical tokens in the document, counted before it is parsed. */
  maxTokens: Limit;
  /** `PAGE_SIZE_MODE`: a `first` above its field's `@maxPageSize` is refused (never clamped) or only logged. */
  pageSizeMode: LimitMode;
  /** `ROUTER_MAX_BODY_BYTES_MODE`: over `ROUTER_MAX_BODY_BYTES`, refuse (413) or log (bodies stay capped at 16 MiB). */
  bodyMode: LimitMode;
  /** `COST_DEFAULT_LIST_SIZE` (10): size assumed for a list field without `@listSize` or slicing argument. */
  defaultListSize: number;
  /**
   * `COST_SLICING_ARGUMENTS` (`first,last,limit,pageSize,take`): argument names that size a list or connection
   * field without `@listSize` (see `inferListSizes`). `none` turns the inference off.
   */
  slicingArguments: readonly string[];
  /** `REVEAL_LIMITS` (true): put the measured value and the limit in a refusal's `extensions`. */
  revealLimits: boolean;
  /** `BUDGET_CAPACITY`, `BUDGET_RESTORE_RATE`, `BUDGET_MODE`. */
  budget: BudgetConfig;
  /**
   * `API_KEY_HEADER` (`x-api-key`): the header that carries an API key. Read only when keys are configured:
   * otherwise an anonymous client is budgeted by its address whatever it sends there.
   */
  apiKeyHeader: string;
  /**
   * `API_KEYS_FILE` or `API_KEYS`: the keys the router accepts (name, SHA-256, optional budget). A listed key has a
   * bucket of its own (kept by name); an unlisted one is refused with 401. Default none.
   */
  apiKeys: readonly ApiKeyEntry[];
  /**
   * `TRUSTED_PROXIES`: addresses and CIDR ranges (IPv4, IPv6) whose `X-Forwarded-For` is believed. Default none:
   * behind a load balancer every anonymous client then shares the balancer's budget.
   */
  trustedProxies: TrustedProxies;
  /** `REDIS_URL`: budgets shared by every router replica; unset, each process keeps its own. */
  redisUrl: string | null;
  /** `BATCHING` (false): accept a JSON array of operations in one request. */
  batching: boolean;
}

const MODES = ['enforce', 'measure'] as const;

function readLimit(env: Env, name: string, fallback: number): Limit {
  return { max: readInteger(env, name, fallback, { min: 1 }), mode: readEnum(env, `${name}_MODE`, MODES, 'enforce') };
}

function readSlicingArguments(env: Env): readonly string[] {
  const raw = readString(env, 'COST_SLICING_ARGUMENTS', DEFAULT_SLICING_ARGUMENTS.join(','));
  if (raw === 'none') return [];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const wrong = names.filter((name) => !/^[_A-Za-z][_0-9A-Za-z]*$/.test(name));
  if (names.length === 0 || wrong.length > 0) {
    throw new ConfigError(`COST_SLICING_ARGUMENTS must be argument names separated by commas (or none), got '${raw}'`);
  }
  return names;
}

export function readDemandControlConfig(env: Env): DemandControlConfig {
  const budgetMode = readEnum(env, 'BUDGET_MODE', ['enforce', 'measure', 'off'] as const, 'enforce');
  const apiKeyHeader = readString(env, 'API_KEY_HEADER', 'x-api-key').toLowerCase();
  if (!/^[a-z0-9-]+$/.test(apiKeyHeader)) throw new ConfigError(`API_KEY_HEADER must be a header name, got '${apiKeyHeader}'`);
  return {
    maxCost: readLimit(env, 'MAX_OPERATION_COST', 1000),
    maxDepth: readLimit(env, 'MAX_DEPTH', 12),
    maxAliases: readLimit(env, 'MAX_ALIASES', 30),
    maxRootFields: readLimit(env, 'MAX_ROOT_FIELDS', 20),
    maxTokens: readLimit(env, 'MAX_TOKENS', 5000),
    pageSizeMode: readEnum(env, 'PAGE_SIZE_MODE', MODES, 'enforce'),
    bodyMode: readEnum(env, 'ROUTER_MAX_BODY_BYTES_MODE', MODES, 'enforce'),
    defaultListSize: readInteger(env, 'COST_DEFAULT_LIST_SIZE', 10, { min: 1, max: 10_000 }),
    slicingArguments: readSlicingArguments(env),
    revealLimits: readBoolean(env, 'REVEAL_LIMITS', true),
    budget: {
      capacity: readInteger(env, 'BUDGET_CAPACITY', 2000, { min: 1 }),
      restorePerSecond: readInteger(env, 'BUDGET_RESTORE_RATE', 100, { min: 1 }),
      mode: budgetMode,
    },
    apiKeyHeader,
    apiKeys: readApiKeys(env),
    trustedProxies: TrustedProxies.parse(readOptionalString(env, 'TRUSTED_PROXIES') ?? ''),
    redisUrl: readUrl(env, 'REDIS_URL') ?? null,
    batching: readBoolean(env, 'BATCHING', false),
  };
}
