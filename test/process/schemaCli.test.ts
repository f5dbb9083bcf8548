import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UsageStore } from '../../router';
import { type DatabaseConfig, parseMysqlUrl, projectPath, SUBGRAPH_NAMES } from '../../shared';
import { dropMysqlDatabase } from '../helpers/testDatabase';

const run = promisify(execFile);

/**
 * The usage store the CLI reads and the test writes: a database of this worker's own on the MySQL server of
 * TEST_DATABASE_URL (as the CLI reads ROUTER_DATABASE_URL), else the CLI's default `.data/router.sqlite`.
 */
const mysqlUsageUrl = process.env.TEST_DATABASE_URL
  ? `${process.env.TEST_DATABASE_URL.replace(/\/+$/, '')}/t${process.env.JEST_WORKER_ID ?? '0'}_schemacli_router`
  : '';
function usageConfig(root: string): DatabaseConfig {
  return mysqlUsageUrl
    ? parseMysqlUrl(mysqlUsageUrl, 'TEST_DATABASE_URL', 'unused', 2)
    : { kind: 'sqlite', file: path.join(root, '.data', 'router.sqlite') };
}

/** A checkout of the schema files in a temporary folder, so that publishing never touches the project. */
function sandbox(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-cli-'));
  for (const name of SUBGRAPH_NAMES) {
    fs.mkdirSync(path.join(root, 'subgraphs', name), { recursive: true });
    fs.copyFileSync(projectPath('subgraphs', name, 'schema.graphql'), path.join(root, 'subgraphs', name, 'schema.graphql'));
  }
  fs.mkdirSync(path.join(root, 'schema'));
  fs.copyFileSync(projectPath('schema', 'supergraph.graphql'), path.join(root, 'schema', 'supergraph.graphql'));
  return root;
}

async function schema(root: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [projectPath('dist', 'schema', 'schemaCli.js'), ...args], {
      env: { ...process.env, SCHEMA_ROOT: root, DATA_DIR: path.join(root, '.data'), DATABASE_URL: '', ROUTER_DATABASE_URL: mysqlUsageUrl },
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

function variant(root: string, name: string, change: (sdl: string) => string): string {
  const file = path.join(root, `${name}.graphql`);
  fs.writeFileSync(file, change(fs.readFileSync(path.join(root, 'subgraphs', 'product', 'schema.graphql'), 'utf8')));
  return file;
}

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** What a router would have recorded: `operation` of `client` used `coordinate` today, `count` times. */
async function recordUse(root: string, coordinate: string, operation: string, client: string, count = 3): Promise<void> {
  const store = await UsageStore.open(usageConfig(root));
  await store.add([{ day: today(), client, operation, coordinate, count }]);
  await store.close();
}

/**
 * The traffic a router records besides the coordinates: one count of the root type per request (`Query`),
 * here `requests` spread over today and two days ago, from two clients.
 */
async function recordTraffic(root: string, requests: number): Promise<void> {
  const store = await UsageStore.open(usageConfig(root));
  const half = Math.floor(requests / 2);
  await store.add([
    { day: today(), client: 'web@1.4.0', operation: 'ProductPage', coordinate: 'Query', count: half },
    { day: daysAgo(2), client: 'ios@7', operation: 'Home', coordinate: 'Query', count: requests - half },
  ]);
  await store.close();
}

const REMOVE_DESCRIPTION = (s: string) => s.replace('  "Long description, plain text."\n  description: String!\n', '');

describe('npm run schema (the subgraph owners CLI)', () => {
  let root: string;
  beforeEach(async () => {
    root = sandbox();
    if (mysqlUsageUrl) await dropMysqlDatabase(parseMysqlUrl(mysqlUsageUrl, 'TEST_DATABASE_URL', 'unused'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('fails a check that removes a field a recorded operation uses, naming the operation and the client', async () => {
    await recordTraffic(root, 1000);
    await recordUse(root, 'Product.description', 'ProductPage', 'web@1.4.0');
    const sdl = variant(root, 'removed', REMOVE_DESCRIPTION);
    const { code, stdout } = await schema(root, 'check', 'product', '--sdl', sdl, '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(false);
    expect(report.changes).toContainEqual({
      severity: 'breaking',
      type: 'FIELD_REMOVED',
      message: 'Product.description was removed.',
      usage: [{ coordinate: 'Product.description', operations: ['ProductPage'], clients: ['web@1.4.0'], count: 3 }],
      blocking: true,
    });
    expect(report.lint.find((p: { rule: string }) => p.rule === 'deprecate-before-removal').severity).toBe('error');
    expect(report.failures).toEqual(['BREAKING_CHANGE_IN_USE', 'LINT_ERRORS']);
    const human = await schema(root, 'check', 'product', '--sdl', sdl);
    expect(human.stdout).toContain('used by ProductPage from web@1.4.0');
  });

  it('passes a breaking change to a coordinate nobody used in a window of at least 1,000 requests, with a warning', async () => {
    await recordTraffic(root, 1000);
    await recordUse(root, 'Product.name', 'ProductPage', 'web@1.4.0');
    const sdl = variant(root, 'removed', REMOVE_DESCRIPTION);
    const { code, stdout } = await schema(root, 'check', 'product', '--sdl', sdl, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.traffic).toEqual({ requests: 1000, days: 2, clients: 2, windowDays: 7, minRequests: 1000, enough: true });
    expect(report.changes[0]).toMatchObject({ severity: 'breaking', blocking: false, usage: [] });
    expect(report.changes[0].unknownUsage).toBeUndefined();
    expect(report.lint.find((p: { rule: string }) => p.rule === 'deprecate-before-removal').severity).toBe('warning');
    const human = await schema(root, 'check', 'product', '--sdl', sdl);
    expect(human.stdout).toContain('usage window (last 7 days): 1000 requests on 2 days from 2 clients\n');
    expect(human.stdout).toContain('(unused in the window: passes with a warning)');
    // One request short of the minimum the caller asks for: the same removal can no longer be judged.
    expect((await schema(root, 'check', 'product', '--sdl', sdl, '--min-requests', '1001')).code).toBe(1);
  });

  it('refuses to call a removal safe when the window holds too little traffic, and says how to accept it', async () => {
    // What the test used to record: 3 uses of another field, no requests counted (a fresh store would hold none).
    await recordUse(root, 'Product.name', 'ProductPage', 'web@1.4.0');
    await recordTraffic(root, 999);
    const sdl = variant(root, 'removed', REMOVE_DESCRIPTION);
    const { code, stdout } = await schema(root, 'check', 'product', '--sdl', sdl, '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(false);
    expect(report.traffic).toEqual({ requests: 999, days: 2, clients: 2, windowDays: 7, minRequests: 1000, enough: false });
    expect(report.changes[0]).toMatchObject({ type: 'FIELD_REMOVED', usage: [], unknownUsage: true, blocking: true });
    expect(report.failures).toEqual(['NOT_ENOUGH_TRAFFIC', 'LINT_ERRORS']);
    const human = await schema(root, 'check', 'product', '--sdl', sdl);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(
      'usage window (last 7 days): 999 requests on 2 days from 2 clients, fewer than the 1000 needed to call a breaking change unused',
    );
    expect(human.stdout).toContain(
      '✖ breaking  FIELD_REMOVED: Product.description was removed. (no recorded use, but not enough recorded traffic to judge; pass --allow-unknown-usage to accept)',
    );
    expect(human.stdout).toMatch(/check FAILED for product: .*not enough recorded traffic to judge; .*\[NOT_ENOUGH_TRAFFIC, LINT_ERRORS\]/);
    // Publishing the same change writes nothing.
    const supergraph = fs.readFileSync(path.join(root, 'schema', 'supergraph.graphql'), 'utf8');
    expect((await schema(root, 'publish', 'product', '--sdl', sdl)).code).toBe(1);
    expect(fs.readFileSync(path.join(root, 'schema', 'supergraph.graphql'), 'utf8')).toBe(supergraph);

    const accepted = await schema(root, 'check', 'product', '--sdl', sdl, '--allow-unknown-usage', '--json');
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ ok: true, failures: [], changes: [{ unknownUsage: true, blocking: false }] });
    expect((await schema(root, 'check', 'product', '--sdl', sdl, '--min-requests', '999')).code).toBe(0);
    expect((await schema(root, 'check', 'product', '--sdl', sdl, '--min-requests', 'many')).code).toBe(2);
  });

  it('reports a deprecation as a change, naming the clients that still use the coordinate', async () => {
    await recordTraffic(root, 1000);
    await recordUse(root, 'Product.description', 'ProductPage', 'web@1.4.0');
    await recordUse(root, 'Product.description', 'Home', 'ios@7', 5);
    const sdl = variant(root, 'deprecated', (s) =>
      s.replace('  description: String!\n', '  description: String! @deprecated(reason: "Use summary.")\n'),
    );
    const { code, stdout } = await schema(root, 'check', 'product', '--sdl', sdl, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).changes).toEqual([
      {
        severity: 'safe',
        type: 'FIELD_DEPRECATED',
        message: 'Product.description is deprecated: Use summary.',
        coordinate: 'Product.description',
        usage: [{ coordinate: 'Product.description', operations: ['Home', 'ProductPage'], clients: ['ios@7', 'web@1.4.0'], count: 8 }],
      },
    ]);
    const human = await schema(root, 'check', 'product', '--sdl', sdl);
    expect(human.stdout).toContain('✔ safe      FIELD_DEPRECATED: Product.description is deprecated: Use summary.\n');
    expect(human.stdout).toContain('    still used by Home, ProductPage from ios@7, web@1.4.0 (8 times)');
    expect(human.stdout).toContain('check passed for product: 0 breaking, 0 dangerous, 1 safe changes');
  });

  it('passes an additive change and calls it safe', async () => {
    const sdl = variant(root, 'added', (s) =>
      s.replace('  description: String!\n', '  description: String!\n  "Weight in grams, when known."\n  weightGrams: Int\n'),
    );
    const { code, stdout } = await schema(root, 'check', 'product', '--sdl', sdl, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).changes).toEqual([{ severity: 'safe', type: 'FIELD_ADDED', message: 'Product.weightGrams was added.' }]);
  });

  it('reports a type conflict between subgraphs with both subgraph names and where', async () => {
    const file = path.join(root, 'order.graphql');
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(root, 'subgraphs', 'order', 'schema.graphql'), 'utf8').replace('  amount: String!', '  amount: Int!'),
    );
    const { code, stdout } = await schema(root, 'check', 'order', '--sdl', file, '--json');
    expect(code).toBe(1);
    const [problem] = JSON.parse(stdout).composition;
    expect(problem.code).toBe('FIELD_TYPE_MISMATCH');
    expect(problem.subgraphs.sort()).toEqual(['order', 'product']);
    expect(problem.locations.map((l: { subgraph: string }) => l.subgraph).sort()).toEqual(['order', 'product']);
  });

  it('calls loosening an authorization rule dangerous and lowering a maximum page size breaking', async () => {
    const sdl = variant(root, 'loosened', (s) =>
      s
        .replace(
          'adjustStock(productId: ID!, delta: Int!): Product! @requiresScopes(scopes: [["catalog:write"]])',
          'adjustStock(productId: ID!, delta: Int!): Product!',
        )
        .replace('@maxPageSize(max: 100)\n  "Every', '@maxPageSize(max: 50)\n  "Every'),
    );
    const report = JSON.parse((await schema(root, 'check', 'product', '--sdl', sdl, '--json')).stdout);
    expect(report.changes).toContainEqual(expect.objectContaining({ severity: 'dangerous', type: 'AUTHORIZATION_REMOVED' }));
    expect(report.changes).toContainEqual(expect.objectContaining({ severity: 'breaking', type: 'MAX_PAGE_SIZE_CHANGED' }));
  });

  it('publishes a passing change atomically and records it in the history; refuses a failing one and writes nothing', async () => {
    const before = fs.readFileSync(path.join(root, 'schema', 'supergraph.graphql'), 'utf8');
    await recordTraffic(root, 1000);
    await recordUse(root, 'Product.description', 'ProductPage', 'ios@7');
    const bad = variant(root, 'removed', REMOVE_DESCRIPTION);
    expect((await schema(root, 'publish', 'product', '--sdl', bad)).code).toBe(1);
    expect(fs.readFileSync(path.join(root, 'schema', 'supergraph.graphql'), 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(root, 'schema', 'history.jsonl'))).toBe(false);

    const good = variant(root, 'added', (s) =>
      s.replace('  description: String!\n', '  description: String!\n  "Weight in grams, when known."\n  weightGrams: Int\n'),
    );
    const { code, stdout } = await schema(root, 'publish', 'product', '--sdl', good);
    expect(code).toBe(0);
    expect(stdout).toContain('published product');
    expect(fs.readFileSync(path.join(root, 'schema', 'supergraph.graphql'), 'utf8')).toContain('weightGrams: Int');
    expect(fs.readFileSync(path.join(root, 'subgraphs', 'product', 'schema.graphql'), 'utf8')).toContain('weightGrams: Int');
    const [entry] = fs
      .readFileSync(path.join(root, 'schema', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entry).toMatchObject({ subgraph: 'product', summary: { breaking: 0, dangerous: 0, safe: 1 } });
    expect(entry.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('composes, and on a composition error prints the subgraphs and exits 1 without touching the supergraph', async () => {
    const supergraph = path.join(root, 'schema', 'supergraph.graphql');
    const before = fs.readFileSync(supergraph, 'utf8');
    expect(await schema(root, 'compose', '--check')).toMatchObject({ code: 0 });
    const order = path.join(root, 'subgraphs', 'order', 'schema.graphql');
    fs.writeFileSync(order, fs.readFileSync(order, 'utf8').replace('  amount: String!', '  amount: Int!'));
    const failed = await schema(root, 'compose', '--json');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).composition[0]).toMatchObject({ code: 'FIELD_TYPE_MISMATCH', subgraphs: ['product', 'order'] });
    expect(fs.readFileSync(supergraph, 'utf8')).toBe(before);
    expect((await schema(root, 'compose', '--check')).code).toBe(1);
  });

  it('fails a change the router would refuse to serve (@fromContext), with the router’s reason, and publishes nothing', async () => {
    const sdl = variant(root, 'context', (s) =>
      s.replace('"@composeDirective"]', '"@composeDirective", "@context", "@fromContext"]').concat(`
extend type Query { shelf: Shelf }
type Shelf @key(fields: "id") @context(name: "shelf") { id: ID! label: String! item: ShelfItem! }
type ShelfItem @key(fields: "id") { id: ID! name(prefix: String @fromContext(field: "$shelf { label }")): String! }
`),
    );
    const supergraph = path.join(root, 'schema', 'supergraph.graphql');
    const before = fs.readFileSync(supergraph, 'utf8');
    const checked = await schema(root, 'check', 'product', '--sdl', sdl);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/✖ router: Refusing the supergraph, as stock @apollo\/gateway does: .*@context\/@fromContext/);
    expect(checked.stdout).toContain('check FAILED for product: 0 composition errors, refused by the router');
    expect((await schema(root, 'publish', 'product', '--sdl', sdl)).code).toBe(1);
    expect(fs.readFileSync(supergraph, 'utf8')).toBe(before);
  });

  it('fails a change that restricts access with @policy, which nobody here enforces, before it is published', async () => {
    const sdl = variant(root, 'policy', (s) =>
      s
        .replace('"@composeDirective"]', '"@composeDirective", "@policy"]')
        .replace('  description: String!\n', '  description: String! @policy(policies: [["catalog:internal"]])\n'),
    );
    const supergraph = path.join(root, 'schema', 'supergraph.graphql');
    const before = fs.readFileSync(supergraph, 'utf8');
    const checked = await schema(root, 'check', 'product', '--sdl', sdl, '--json');
    expect(checked.code).toBe(1);
    const report = JSON.parse(checked.stdout);
    expect(report.failures).toEqual(['ROUTER_REFUSED']);
    expect(report.refusal).toMatch(/https:\/\/specs\.apollo\.dev\/policy.*restricts access with @policy/);
    expect((await schema(root, 'publish', 'product', '--sdl', sdl)).code).toBe(1);
    expect(fs.readFileSync(supergraph, 'utf8')).toBe(before);
  });

  it('fails a subgraph that links an unknown feature for SECURITY, which composition would pass on without its purpose', async () => {
    const link = (purpose: string) =>
      variant(root, `acl-${purpose || 'none'}`, (s) =>
        s
          .replace(
            '  @composeDirective(name: "@maxPageSize")\n',
            `  @composeDirective(name: "@maxPageSize")\n  @link(url: "https://example.com/acl/v1.0", import: ["@acl"]${purpose})\n  @composeDirective(name: "@acl")\n`,
          )
          .concat('\n"Who may read a field (an in-house rule)."\ndirective @acl(role: String!) on FIELD_DEFINITION\n')
          .replace('  description: String!\n', '  description: String! @acl(role: "staff")\n'),
      );
    const refused = await schema(root, 'check', 'product', '--sdl', link(', for: SECURITY'), '--json');
    expect(refused.code).toBe(1);
    const report = JSON.parse(refused.stdout);
    expect(report.failures).toEqual(['ROUTER_REFUSED']);
    expect(report.refusal).toBe(
      'Refusing subgraph product: it links https://example.com/acl/v1.0 (for: SECURITY): neither @apollo/gateway nor this router implements it, and a feature linked for SECURITY must not be ignored. Composition would keep the link without its purpose, so a router would serve the supergraph with the rule ignored.',
    );
    // The same directive linked without a purpose is the subgraph owner's to apply: it composes and passes.
    expect((await schema(root, 'check', 'product', '--sdl', link(''), '--json')).code).toBe(0);
  });

  it('exits 2 when the command itself cannot run', async () => {
    expect((await schema(root, 'check', 'nope')).code).toBe(2);
    expect((await schema(root, 'check', 'product', '--sdl', path.join(root, 'missing.graphql'))).code).toBe(2);
  });
});
