/**
 * docker-compose.yml read the way docker-compose 1.29 reads it: YAML with merge keys, and `${VAR:-default}`,
 * `${VAR-default}`, `${VAR}`, `$VAR` and `$$` substituted from a given set of variables (none: what a fresh
 * clone gets).
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { parse } from 'yaml';

export const repoRoot = resolve(__dirname, '../..');
export const composePath = join(repoRoot, 'docker-compose.yml');

export type PortSpec = string | number | { target: number | string; published?: number | string; host_ip?: string };
export type VolumeSpec = string | { type?: string; source?: string; target: string };

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: PortSpec[];
  expose?: Array<string | number>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: VolumeSpec[];
  networks?: string[] | Record<string, { ipv4_address?: string; aliases?: string[] } | null>;
}

export interface ComposeFile {
  services?: Record<string, ComposeService>;
  networks?: Record<string, { ipam?: { config?: Array<{ subnet?: string }> } } | null>;
  volumes?: Record<string, unknown>;
}

/** A `${NAME…}` reference in the file: its variable, and its default when it has one (`:-` or `-`). */
export interface VariableReference {
  variable: string;
  fallback: string | undefined;
}

const REFERENCE = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Compose's variable substitution: `${X:-d}` gives d when X is unset or empty, `${X-d}` only when unset. */
export function interpolate(value: string, variables: Readonly<Record<string, string>> = {}): string {
  return value.replace(
    REFERENCE,
    (_match, dollar: string | undefined, braced: string | undefined, operator: string | undefined, operand = '', bare?: string) => {
      if (dollar) return '$';
      const name = (braced ?? bare) as string;
      const given = variables[name];
      if (operator === ':-') return given ? given : operand;
      if (operator === '-') return given ?? operand;
      if (operator?.endsWith('?')) {
        if (given === undefined || (operator === ':?' && given === '')) throw new Error(`${name} is required by docker-compose.yml`);
        return given;
      }
      return given ?? '';
    },
  );
}

/** Every `${NAME:-default}` / `${NAME-default}` / `${NAME}` in a text, in order (`$$` escapes skipped). */
export function variableReferences(text: string): VariableReference[] {
  return [...text.matchAll(REFERENCE)]
    .filter((match) => !match[1])
    .map((match) => ({
      variable: match[2] ?? match[5],
      fallback: match[3] === ':-' || match[3] === '-' ? (match[4] ?? '') : undefined,
    }));
}

export const composeText = readFileSync(composePath, 'utf8');
export const compose = parse(composeText, { merge: true }) as ComposeFile;

export function service(name: string): ComposeService {
  const found = compose.services?.[name];
  if (!found) throw new Error(`docker-compose.yml has no service '${name}'`);
  return found;
}

/** A service's environment as its process gets it, with `variables` set in the shell (none by default). */
export function environmentOf(name: string, variables: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(rawEnvironmentOf(name)).map(([key, value]) => [key, interpolate(value, variables)]));
}

/** A service's environment as written, before substitution. */
export function rawEnvironmentOf(name: string): Record<string, string> {
  const raw = service(name).environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line): [string, string] => {
        const at = line.indexOf('=');
        return at === -1 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
      })
    : Object.entries(raw).map(([key, value]): [string, string] => [key, value == null ? '' : String(value)]);
  return Object.fromEntries(entries);
}

export function findOnPath(binary: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (!folder) continue;
    const candidate = join(folder, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder; try the next.
    }
  }
  return undefined;
}
