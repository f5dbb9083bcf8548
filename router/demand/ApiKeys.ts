import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { ConfigError, type Env, ErrorCode, HttpError, readOptionalString } from '../../shared';

/**
 * One API key the router knows, as configured: a name (what budgets, logs and metrics see), the SHA-256 of the
 * key (the key itself is never configured, stored or logged), and optionally its own budget.
 */
export interface ApiKeyEntry {
  name: string;
  /** The key's SHA-256, 64 lower-case hexadecimal characters (`printf %s "$KEY" | sha256sum`). */
  sha256: string;
  /** Cost points its bucket holds when full; default `BUDGET_CAPACITY`. */
  capacity?: number;
  /** Points restored per second; default `BUDGET_RESTORE_RATE`. */
  restorePerSecond?: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const FILE_FIELDS = new Set(['name', 'sha256', 'capacity', 'restoreRate']);

function positive(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1_000_000_000;
}

/**
 * Checks one entry. Messages name the entry by its position only, never by its name, its hash or anything else
 * it holds: a key pasted where a name or its hash belongs (`API_KEYS=<the key>`, a swapped `name:sha256`) must not
 * reach the start-up log.
 */
function checkEntry(source: string, index: number, raw: Record<string, unknown>): ApiKeyEntry {
  const where = `${source} entry ${index + 1}`;
  if (typeof raw.name !== 'string' || !NAME.test(raw.name)) {
    throw new ConfigError(`${where}: name must be 1 to 64 letters, digits, '_', '.' or '-'`);
  }
  if (typeof raw.sha256 !== 'string' || !SHA256.test(raw.sha256.toLowerCase())) {
    throw new ConfigError(
      `${where}: sha256 must be the key's SHA-256 as 64 hexadecimal characters (printf %s "$KEY" | sha256sum), never the key itself`,
    );
  }
  if (raw.capacity !== undefined && !positive(raw.capacity))
    throw new ConfigError(`${where}: capacity must be a whole number of points, at least 1`);
  if (raw.restoreRate !== undefined && !positive(raw.restoreRate)) {
    throw new ConfigError(`${where}: restoreRate must be a whole number of points per second, at least 1`);
  }
  return {
    name: raw.name,
    sha256: raw.sha256.toLowerCase(),
    ...(raw.capacity !== undefined ? { capacity: raw.capacity as number } : {}),
    ...(raw.restoreRate !== undefined ? { restorePerSecond: raw.restoreRate as number } : {}),
  };
}

function readKeysFile(file: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`API_KEYS_FILE cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${file}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a key: say only where the file is.
    throw new ConfigError(`API_KEYS_FILE is not valid JSON: ${file}`);
  }
  const shape = 'a JSON array of { "name", "sha256", "capacity"?, "restoreRate"? }';
  if (!Array.isArray(parsed)) throw new ConfigError(`API_KEYS_FILE must hold ${shape}: ${file}`);
  return parsed.map((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`API_KEYS_FILE entry ${index + 1} must be an object: the file holds ${shape}`);
    }
    const unknown = Object.keys(raw).filter((field) => !FILE_FIELDS.has(field));
    if (unknown.length > 0) {
      // A field named like `key` is most likely the key itself: named, never quoted.
      throw new ConfigError(`API_KEYS_FILE entry ${index + 1}: unknown field(s) ${unknown.join(', ')}; the file holds ${shape}`);
    }
    return checkEntry('API_KEYS_FILE', index, raw as Record<string, unknown>);
  });
}

/** `API_KEYS`: `name:sha256[:capacity[:restoreRate]]`, separated by commas. */
function readKeysVariable(value: string): ApiKeyEntry[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item, index) => {
      const [name, sha256, capacity, restoreRate, ...rest] = item.split(':');
      if (rest.length > 0) throw new ConfigError(`API_KEYS entry ${index + 1}: write name:sha256[:capacity[:restoreRate]]`);
      const number = (raw: string | undefined) =>
        raw === undefined || raw === '' ? undefined : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      return checkEntry('API_KEYS', index, { name, sha256, capacity: number(capacity), restoreRate: number(restoreRate) });
    });
}

/**
 * The API keys a router accepts: `API_KEYS_FILE` (a JSON file) or `API_KEYS` (the same entries in one variable),
 * not both. None configured (the default) means the API key header is ignored. A file or variable that is set
 * but wrong stops the start with one line that says what to fix.
 */
export function readApiKeys(env: Env): readonly ApiKeyEntry[] {
  const file = readOptionalString(env, 'API_KEYS_FILE');
  const variable = readOptionalString(env, 'API_KEYS');
  if (file && variable) throw new ConfigError('API_KEYS_FILE and API_KEYS are both set: configure the keys in one of them');
  const entries = file ? readKeysFile(file) : variable ? readKeysVariable(variable) : [];
  if ((file || variable) && entries.length === 0) throw new ConfigError(`${file ? 'API_KEYS_FILE' : 'API_KEYS'} lists no keys`);
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const entry of entries) {
    if (names.has(entry.name)) throw new ConfigError(`API key name '${entry.name}' is listed twice: each key needs a name of its own`);
    if (hashes.has(entry.sha256)) throw new ConfigError(`API key '${entry.name}' has the same sha256 as another key: one key, one entry`);
    names.add(entry.name);
    hashes.add(entry.sha256);
  }
  return entries;
}

/**
 * Recognises API keys by their SHA-256. With no key configured, `find` ignores the header (the caller is budgeted
 * by address); with keys configured, a listed key is named, and any other value is refused (401) before the body is
 * read, so a client cannot make itself a fresh budget by inventing keys.
 */
export class ApiKeys {
  private readonly byHash: ReadonlyMap<string, ApiKeyEntry>;
  private readonly byName: ReadonlyMap<string, ApiKeyEntry>;

  constructor(
    entries: readonly ApiKeyEntry[],
    private readonly header: string,
  ) {
    this.byHash = new Map(entries.map((entry) => [entry.sha256, entry]));
    this.byName = new Map(entries.map((entry) => [entry.name, entry]));
  }

  /** The key a request carries, or null when it carries none or no key is configured; throws a 401 for an unlisted one. */
  find(value: string | string[] | undefined): ApiKeyEntry | null {
    if (this.byHash.size === 0 || value === undefined || value.length === 0) return null;
    const key = Array.isArray(value) ? value.join(', ') : value;
    const entry = this.byHash.get(createHash('sha256').update(key).digest('hex'));
    if (entry) return entry;
    throw new HttpError(
      401,
      ErrorCode.UNAUTHENTICATED,
      `The API key in the ${this.header} header is not one this router accepts. Send a key you were given, or no ${this.header} header at all.`,
      { 'www-authenticate': `ApiKey header="${this.header}"` },
    );
  }

  /** The key named `name` (budgets are kept by name). */
  named(name: string): ApiKeyEntry | undefined {
    return this.byName.get(name);
  }
}
