/**
 * No production mode with the repository's own secrets (issue 13, item 1). The denylist in
 * shared/shippedSecrets.ts must hold every secret default of docker-compose.yml and every example value the
 * documentation and the manifests show, and every process must refuse each of them in production, naming the
 * variable and never the value.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readRouterConfig } from '../../router';
import { ConfigError, type Env, readSubgraphConfig, SHIPPED_SECRET_VALUES, SUBGRAPH_NAMES } from '../../shared';
import { readOrderConfig } from '../../subgraphs/order/OrderConfig';
import { readProductConfig } from '../../subgraphs/product/ProductConfig';
import { composeText, environmentOf, rawEnvironmentOf, repoRoot, variableReferences } from '../helpers/compose';
import { runToExit } from '../helpers/processes';

/**
 * docker-compose.yml's defaults that are not secrets, each with why. A new `${VAR:-default}` must be put on
 * the denylist or here: nothing slips through unclassified.
 */
const NOT_SECRET: Record<string, string> = {
  NODE_ENV: 'the mode; production is what refuses the secrets',
  LOG_LEVEL: 'a log level',
  OTEL_TRACES_SAMPLER_ARG: 'the share of requests traced',
  JWT_JWKS_URL: 'a public key set URL (empty by default)',
};

/** Names of variables whose value is a secret, as a reader of the docs would take them. */
const SECRET_NAME = /^[A-Z][A-Z0-9_]*(SECRET|TOKEN|PASSWORD)$/;
/** `NAME=value`, `NAME: value`, `NAME: "value"` on one line. */
const ASSIGNMENT = /\b([A-Z][A-Z0-9_]*)\s*[=:]\s*["']?([^\s"'`,;)|]*)/g;
/** `scheme://user:password@` */
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"'`]*:([^\s/@"'`]+)@/g;

/** A literal value, not a reference to one (`$VAR`, `${VAR}`, `$(cmd)`, `<placeholder>`, a YAML alias `*x`). */
const isLiteral = (value: string) => value !== '' && !/^[$<*{(&[]/.test(value);

function filesUnder(folder: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder).flatMap((entry) => {
    const file = join(folder, entry);
    if (statSync(file).isDirectory()) return entry === 'node_modules' ? [] : filesUnder(file, keep);
    return keep(file) ? [file] : [];
  });
}

/**
 * Where the repository documents or ships configuration: the README, docs/, the deployment folders and any
 * `.env.*` example at the top. YAML is read as data (comments are prose); Markdown for its code (fenced blocks and
 * `inline code`); anything else line by line.
 */
function documentedExamples(): Array<{ file: string; value: string }> {
  const sources = [
    join(repoRoot, 'README.md'),
    ...readdirSync(repoRoot)
      .filter((entry) => /^\.env\..+/.test(entry))
      .map((entry) => join(repoRoot, entry)),
    ...filesUnder(join(repoRoot, 'docs'), (file) => file.endsWith('.md')),
    ...filesUnder(join(repoRoot, 'docker'), () => true),
    ...filesUnder(join(repoRoot, 'deploy'), (file) => !file.includes(join('overlays', 'prod', 'secrets'))),
  ].filter((file) => existsSync(file));
  const found: Array<{ file: string; value: string }> = [];
  for (const file of sources) {
    const name = relative(repoRoot, file);
    const text = readFileSync(file, 'utf8');
    const add = (value: string) => {
      if (isLiteral(value)) found.push({ file: name, value });
    };
    /** `NAME=value` / `NAME: value` with a secret NAME, and URL passwords, in a piece of text. */
    const scanText = (piece: string) => {
      for (const [, variable, value] of piece.matchAll(ASSIGNMENT)) if (SECRET_NAME.test(variable)) add(value);
      for (const [, password] of piece.matchAll(URL_PASSWORD)) add(decodeURIComponent(password));
    };
    if (/\.ya?ml$/.test(file)) {
      // Secret-named keys and `{ name, value }` env entries, `KEY=value` strings (kustomize literals, compose
      // environment lists) and URLs; a kustomize generator's `files:` are paths to files an operator provides.
      const walk = (node: unknown, key?: string): void => {
        if (key === 'files') return;
        if (typeof node === 'string') {
          scanText(node.replace(/^([A-Z][A-Z0-9_]*)=/, '$1: '));
        } else if (Array.isArray(node)) {
          for (const item of node) walk(item);
        } else if (node && typeof node === 'object') {
          const entry = node as Record<string, unknown>;
          if (typeof entry.name === 'string' && SECRET_NAME.test(entry.name) && typeof entry.value === 'string') add(entry.value);
          for (const [child, value] of Object.entries(entry)) {
            if (SECRET_NAME.test(child) && (typeof value === 'string' || typeof value === 'number')) add(String(value));
            walk(value, child);
          }
        }
      };
      for (const document of parseAllDocuments(text)) walk(document.toJSON());
    } else if (file.endsWith('.md')) {
      for (const [code] of text.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)) scanText(code);
    } else {
      scanText(text.replace(/^\s*#.*$/gm, ''));
    }
  }
  return found;
}

describe('the denylist of published secrets (shared/shippedSecrets.ts)', () => {
  const references = variableReferences(composeText).filter((reference) => reference.fallback);

  test('docker-compose.yml has secret defaults, and the scan finds them', () => {
    expect(references.map((reference) => reference.variable)).toEqual(
      expect.arrayContaining(['JWT_SECRET', 'INTERNAL_API_TOKEN', 'MYSQL_PASSWORD', 'MYSQL_ROOT_PASSWORD', 'ACCOUNT_SUBGRAPH_SECRET']),
    );
  });

  test('holds every VAR:-default fallback of docker-compose.yml that is not known to be harmless', () => {
    const unlisted = references
      .filter((reference) => !(reference.variable in NOT_SECRET))
      .filter((reference) => !SHIPPED_SECRET_VALUES.includes(reference.fallback as string))
      .map((reference) => reference.variable);
    expect(unlisted).toEqual([]);
  });

  test('holds every secret value the docs, docker/ and deploy/ show', () => {
    const examples = documentedExamples();
    // The scan sees what is there, e.g. the Kubernetes dev overlay's values (a literal and a URL's password).
    expect(examples).toEqual(
      expect.arrayContaining([
        {
          file: join('deploy', 'kubernetes', 'overlays', 'dev', 'kustomization.yaml'),
          value: 'compose-jwt-secret-for-development-only-change-me',
        },
        { file: join('deploy', 'kubernetes', 'overlays', 'dev', 'kustomization.yaml'), value: 'supergraph-root' },
      ]),
    );
    expect(examples.filter((example) => !SHIPPED_SECRET_VALUES.includes(example.value))).toEqual([]);
  });
});

type ProcessName = 'router' | (typeof SUBGRAPH_NAMES)[number];
const processes: ProcessName[] = ['router', ...SUBGRAPH_NAMES];

function readConfigOf(name: ProcessName, env: Env): unknown {
  if (name === 'router') return readRouterConfig(env);
  if (name === 'product') return readProductConfig(env);
  if (name === 'order') return readOrderConfig(env);
  return readSubgraphConfig(env, name);
}

const strong = () => randomBytes(24).toString('hex');

/** The production environment an operator gives a process: compose's, with secrets of their own. */
function productionEnvironment(name: ProcessName): Record<string, string> {
  const variables: Record<string, string> = { NODE_ENV: 'production' };
  for (const reference of variableReferences(composeText)) {
    if (reference.fallback && SHIPPED_SECRET_VALUES.includes(reference.fallback)) variables[reference.variable] = strong();
  }
  // The two routers share one definition: router-1 stands for both.
  const environment = environmentOf(name === 'router' ? 'router-1' : name, variables);
  if (name === 'router') environment.REDIS_URL = `redis://:${strong()}@redis:6379`;
  return environment;
}

/**
 * The variables of a process that carry a secret: those compose fills from a secret default (whole value or
 * inside a URL), plus the URLs each process reads that compose leaves without a password.
 */
function secretVariablesOf(name: ProcessName): string[] {
  const fromCompose = Object.entries(rawEnvironmentOf(name === 'router' ? 'router-1' : name))
    .filter(([, raw]) => variableReferences(raw).some((reference) => SHIPPED_SECRET_VALUES.includes(reference.fallback ?? '')))
    .map(([variable]) => variable);
  const urls =
    name === 'router' ? ['REDIS_URL', 'DATABASE_URL', 'ROUTER_DATABASE_URL'] : ['DATABASE_URL', `${name.toUpperCase()}_DATABASE_URL`];
  return [...new Set([...fromCompose, ...urls])];
}

/** `environment` with `variable` holding `value`: as its whole value, or as the password of its URL. */
function withSecret(environment: Record<string, string>, variable: string, value: string): Record<string, string> {
  if (!variable.endsWith('_URL')) return { ...environment, [variable]: value };
  const url = new URL(environment[variable] ?? (variable === 'REDIS_URL' ? 'redis://redis:6379' : 'mysql://app@db:3306'));
  if (!url.username && url.protocol !== 'redis:') url.username = 'app';
  url.password = encodeURIComponent(value);
  return { ...environment, [variable]: url.toString() };
}

describe.each(processes)('%s in production', (name) => {
  const baseline = productionEnvironment(name);
  const variables = secretVariablesOf(name);

  test('starts with secrets of its own (the baseline the refusals below change one value of)', () => {
    expect(() => readConfigOf(name, baseline)).not.toThrow();
    expect(variables.length).toBeGreaterThanOrEqual(2);
  });

  test.each(variables)('refuses every published value in %s, naming the variable and never the value', (variable) => {
    const messages = SHIPPED_SECRET_VALUES.map((value) => {
      let caught: unknown;
      try {
        readConfigOf(name, withSecret(baseline, variable, value));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      const message = (caught as Error).message;
      expect(message).toContain(variable);
      expect(message).toContain('published in this repository');
      // Long values are checked verbatim; a short one like `pass` is part of ordinary words ("password").
      if (value.length >= 8) expect(message).not.toContain(value);
      return message;
    });
    // One message whatever the value: nothing of the value reaches it.
    expect(new Set(messages).size).toBe(1);
  });

  test('in development, the published values are accepted (docker-compose up on a laptop)', () => {
    expect(() => readConfigOf(name, { ...environmentOf(name === 'router' ? 'router-1' : name), NODE_ENV: 'development' })).not.toThrow();
  });
});

describe('the real processes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'shipped-secrets-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts `node dist/<entry>` with `env`, resolves with its exit code and everything it printed. */
  const run = (entry: string[], env: Record<string, string>) =>
    runToExit(entry, { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...env });

  const jwt = 'compose-jwt-secret-for-development-only-change-me';
  const cases: Array<{ name: string; entry: string[]; variable: string; env: Record<string, string>; value: string }> = [
    { name: 'router', entry: ['router', 'main.js'], variable: 'JWT_SECRET', env: { JWT_SECRET: jwt }, value: jwt },
    {
      name: 'account',
      entry: ['subgraphs', 'account', 'main.js'],
      variable: 'DATABASE_URL',
      env: { DATABASE_URL: 'mysql://supergraph:supergraph-root@127.0.0.1:9' },
      value: 'supergraph-root',
    },
    {
      name: 'product',
      entry: ['subgraphs', 'product', 'main.js'],
      variable: 'INTERNAL_API_TOKEN',
      env: { INTERNAL_API_TOKEN: 'dev-only-internal-api-token-change-me' },
      value: 'dev-only-internal-api-token-change-me',
    },
    {
      name: 'order',
      entry: ['subgraphs', 'order', 'main.js'],
      variable: 'SUBGRAPH_SECRET',
      env: { SUBGRAPH_SECRET: 'compose-order-subgraph-secret-change-me' },
      value: 'compose-order-subgraph-secret-change-me',
    },
  ];
  // Started together: four Node start-ups one after the other would cost the suite seconds.
  let results: Map<string, { code: number | null; output: string }>;
  beforeAll(async () => {
    const finished = await Promise.all(cases.map((each) => run(each.entry, { NODE_ENV: 'production', LOG_LEVEL: 'info', ...each.env })));
    results = new Map(cases.map((each, index) => [each.name, finished[index]]));
  });

  test.each(cases)('$name exits 1 at start-up with a published $variable, saying which variable', ({ name, variable, value }) => {
    expect(SHIPPED_SECRET_VALUES).toContain(value);
    const { code, output } = results.get(name) ?? { code: null, output: '' };
    expect(code).toBe(1);
    expect(output).toContain('configuration error');
    expect(output).toContain(variable);
    expect(output).toContain('published in this repository');
    expect(output).not.toContain(value);
  });
});
