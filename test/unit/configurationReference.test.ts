import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRouterConfig } from '../../router';
import { type Env, projectPath, readSubgraphConfig } from '../../shared';
import { readOrderConfig } from '../../subgraphs/order/OrderConfig';
import { readProductConfig } from '../../subgraphs/product/ProductConfig';
import { type EnvironmentRead, findEnvironmentReads } from '../helpers/environmentReads';

const REFERENCE = 'docs/configuration.md';

/** Read by the code but set by the system or a tool, never by a user of this project. */
const SET_BY_OTHERS: Readonly<Record<string, string>> = {
  PATH: 'the shell (passed on to child processes)',
  HOME: 'the shell (passed on to child processes)',
  JEST_WORKER_ID: 'jest, in each of its workers',
};

/** Documented but read by a library, not by our code (docker-compose.yml's variables are found in that file). */
const READ_BY_LIBRARIES: Readonly<Record<string, string>> = {
  OTEL_TRACES_SAMPLER: '@opentelemetry/sdk-node',
  OTEL_TRACES_SAMPLER_ARG: '@opentelemetry/sdk-node',
};

/** The sections whose defaults are those of the processes' config readers (the others: scripts, tests, the bench). */
const PROCESS_SECTIONS = /^(Every process|Router|Subgraphs|Databases)/;

interface DocumentedVariable {
  /** As written, with `<NAME>` for a built part (`<NAME>_SUBGRAPH_SECRET`). */
  written: string;
  /** The default column of its row. */
  defaultText: string;
  /** The `##` section the row is in. */
  section: string;
  line: number;
}

/** `<NAME>_URL` and `*_URL` are the same pattern. */
function normalize(name: string): string {
  return name.replace(/<[A-Za-z_]+>/g, '*');
}

/**
 * The variables named in the reference's tables: every backticked name in a table's `variable` column, keyed by
 * its normalized form, with the text of the row's `default` column.
 */
function documentedVariables(markdown: string): Map<string, DocumentedVariable> {
  const documented = new Map<string, DocumentedVariable>();
  let columns: { variable: number; default: number } | undefined;
  let section = '';
  markdown.split('\n').forEach((text, index) => {
    if (text.startsWith('## ')) section = text.slice(3).trim();
    if (!text.startsWith('|')) {
      columns = undefined;
      return;
    }
    // Cells are split at each `|` that is not escaped (`\|` inside a cell).
    const cells = text
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.replace(/\\\|/g, '|').trim());
    if (!columns) {
      const lower = cells.map((cell) => cell.toLowerCase());
      const variable = lower.indexOf('variable');
      const fallback = lower.indexOf('default');
      columns = variable >= 0 && fallback >= 0 ? { variable, default: fallback } : { variable: -1, default: -1 };
      return;
    }
    if (columns.variable < 0 || /^:?-+:?$/.test(cells[0] ?? '')) return;
    for (const [, written] of (cells[columns.variable] ?? '').matchAll(/`(<?[A-Z][A-Za-z0-9_<>]*)`/g)) {
      // A variable that several commands read with different defaults has a row in each of their sections: the first counts.
      if (!documented.has(normalize(written))) {
        documented.set(normalize(written), { written, defaultText: cells[columns.default] ?? '', section, line: index + 1 });
      }
    }
  });
  return documented;
}

/** Which section of the reference a variable belongs in, from where the code names it. */
function sectionFor(where: string): string {
  if (where.startsWith('test/') || where.startsWith('bench/')) return '"For development"';
  if (where.startsWith('router/')) return '"Router"';
  if (where.startsWith('subgraphs/')) return `"Subgraphs" (${where.split('/')[1]} only)`;
  if (where.startsWith('scripts/') || where.startsWith('schema/')) return '"Command-line scripts"';
  return '"Every process" or "Subgraphs" (shared code: see who calls it)';
}

describe(`the configuration reference (${REFERENCE})`, () => {
  const root = projectPath();
  let reads: Map<string, EnvironmentRead[]>;
  let documented: Map<string, DocumentedVariable>;

  beforeAll(() => {
    reads = new Map();
    for (const read of findEnvironmentReads(root)) reads.set(read.name, [...(reads.get(read.name) ?? []), read]);
    documented = documentedVariables(fs.readFileSync(path.join(root, REFERENCE), 'utf8'));
  });

  it('is checked against what the code really reads, through every way the code names a variable', () => {
    const expected = [
      'ROUTER_PORT', // a literal passed to a helper of shared/env.ts, which reads env[name]
      'MAX_OPERATION_COST', // a literal passed through readLimit to the helper
      'MAX_DEPTH_MODE', // `${name}_MODE`, name being readLimit's caller's literal
      'PRODUCT_DATABASE_URL', // `${subgraph.toUpperCase()}_DATABASE_URL`, subgraph a SubgraphName
      '*_SUBGRAPH_SECRET', // a regular expression over Object.keys(env)
      'OTEL_SERVICE_NAME', // env.X
      'LOG_FORMAT', // process.env.X
      'OTEL_LOGS_EXPORTER', // process.env[name] for name of a literal list
      'BENCH_PORT', // a JavaScript file of the bench
      'TEST_DATABASE_URL', // a test helper
    ];
    expect([...reads.keys()]).toEqual(expect.arrayContaining(expected));
    // Writes for a child process (`env.DATABASE_URL = …`, `delete env[name]`) are not reads.
    expect(reads.get('DATABASE_URL')?.map((read) => read.where)).not.toContain('test/process/tracing.test.ts:122');
  });

  it('documents every variable the code reads, with its default', () => {
    const missing: string[] = [];
    for (const [name, where] of reads) {
      if (name in SET_BY_OTHERS) continue;
      const entry = documented.get(name);
      const places = where.map((read) => read.where).filter((place, index, all) => all.indexOf(place) === index);
      const written = name.replace(/\*/g, '<NAME>');
      if (!entry) {
        missing.push(`\`${written}\`: no row. Read at ${places.join(', ')}. Add it to the ${sectionFor(places[0])} table.`);
      } else if (!/\S/.test(entry.defaultText.replace(/^[-–—]$/, ''))) {
        missing.push(
          `\`${written}\` (line ${entry.line}): no default. Read at ${places.join(', ')}; write what the code uses when it is unset.`,
        );
      }
    }
    if (missing.length > 0) {
      throw new Error(
        `${REFERENCE} must list every environment variable the code reads, each in a table row ` +
          '`| `NAME` | meaning | default |` (a table whose header has "variable" and "default" columns) under the ' +
          'section of the process that reads it; a name built at run time is written as a pattern (`<NAME>_SUBGRAPH_SECRET`), ' +
          `and the default is what the code applies when the variable is unset:\n- ${missing.join('\n- ')}`,
      );
    }
  });

  it('documents only variables that the code, docker-compose.yml or a library reads', () => {
    const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const inCompose = new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]));
    const patterns = [...reads.keys()]
      .filter((name) => name.includes('*'))
      .map((name) => new RegExp(`^${name.replace(/\*/g, '[A-Z][A-Z0-9_]*')}$`));
    const stale = [...documented]
      .filter(([name]) => !reads.has(name) && !inCompose.has(name) && !(name in READ_BY_LIBRARIES))
      .filter(([name]) => name.includes('*') || !patterns.some((pattern) => pattern.test(name)))
      .map(([, entry]) => `\`${entry.written}\` (line ${entry.line})`);
    expect(stale).toEqual([]);
  });

  it('gives the defaults that the router and subgraph config readers really apply', () => {
    const readAll = (env: Env) =>
      JSON.stringify([readRouterConfig(env), readSubgraphConfig(env, 'account'), readProductConfig(env), readOrderConfig(env)]);
    const unset = readAll({});
    const wrong: string[] = [];
    let checked = 0;
    for (const [name, entry] of documented) {
      // Only a plain single value (`5000`, `info`, `x-api-key`) can be set as it is written; a default that names
      // another variable (`DATABASE_URL`) cannot. Scripts, tests and the bench have readers of their own.
      const single = /^`([^`\s]+)`$/.exec(entry.defaultText);
      if (name.includes('*') || !single || /^[A-Z][A-Z0-9_]*$/.test(single[1]) || !reads.has(name)) continue;
      if (!PROCESS_SECTIONS.test(entry.section)) continue;
      checked += 1;
      let read: string;
      try {
        read = readAll({ [name]: single[1] });
      } catch (error) {
        read = `refused: ${(error as Error).message}`;
      }
      if (read !== unset) wrong.push(`${name}=${single[1]} (line ${entry.line}) is not what the code uses when ${name} is unset`);
    }
    expect(wrong).toEqual([]);
    // Most rows carry a plain value; if this drops, the table stopped being checkable.
    expect(checked).toBeGreaterThan(40);
  });
});

describe('findEnvironmentReads', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'env-reads-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('follows names through helpers, templates, literal types, lists and patterns, and skips writes', () => {
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write(
      'lib/env.ts',
      `export function present(env: Record<string, string | undefined>, name: string) { return env[name]; }
       export const readNumber = (env: Record<string, string | undefined>, name: string, fallback: number) => Number(present(env, name) ?? fallback);`,
    );
    write(
      'app/config.ts',
      `import { present, readNumber } from '../lib/env';
       type Part = 'north' | 'south';
       function limit(env: Record<string, string | undefined>, name: string) { return [readNumber(env, name, 1), present(env, \`\${name}_MODE\`)]; }
       export function read(env: Record<string, string | undefined>, part: Part) {
         const fixed = 'FIXED_NAME';
         for (const name of Object.keys(env)) if (/^([A-Z][A-Z0-9_]*)_SECRET$/.test(name)) present(env, name);
         for (const name of ['LISTED_A', 'LISTED_B']) present(env, name);
         return [limit(env, 'LIMIT'), present(env, \`\${part.toUpperCase()}_PORT\`), present(env, fixed), env.DIRECT, process.env['QUOTED']];
       }
       const { DESTRUCTURED } = process.env;
       export function child(env: Record<string, string | undefined>) { env.WRITTEN = '1'; delete env.DELETED; return DESTRUCTURED; }`,
    );
    write('app/config.test.ts', `import { present } from '../lib/env'; present({}, 'MADE_UP_IN_A_TEST');`);
    const names = findEnvironmentReads(dir).map((read) => read.name);
    expect([...new Set(names)].sort()).toEqual(
      [
        '*_SECRET',
        'DESTRUCTURED',
        'DIRECT',
        'FIXED_NAME',
        'LIMIT',
        'LIMIT_MODE',
        'LISTED_A',
        'LISTED_B',
        'NORTH_PORT',
        'QUOTED',
        'SOUTH_PORT',
      ].sort(),
    );
  });
});
