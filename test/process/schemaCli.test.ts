import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UsageStore } from '../../router';
import { projectPath, SUBGRAPH_NAMES } from '../../shared';

const run = promisify(execFile);

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
      env: { ...process.env, SCHEMA_ROOT: root, DATA_DIR: path.join(root, '.data'), DATABASE_URL: '', ROUTER_DATABASE_URL: '' },
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

/** What a router would have recorded: `operation` of `client` used `coordinate` today. */
async function recordUse(root: string, coordinate: string, operation: string, client: string): Promise<void> {
  const store = await UsageStore.open({ kind: 'sqlite', file: path.join(root, '.data', 'router.sqlite') });
  await store.add([{ day: new Date().toISOString().slice(0, 10), client, operation, coordinate, count: 3 }]);
  await store.close();
}

describe('npm run schema (the subgraph owners CLI)', () => {
  let root: string;
  beforeEach(() => {
    root = sandbox();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('fails a check that removes a field a recorded operation uses, naming the operation and the client', async () => {
    await recordUse(root, 'Product.description', 'ProductPage', 'web@1.4.0');
    const sdl = variant(root, 'removed', (s) => s.replace('  "Long description, plain text."\n  description: String!\n', ''));
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
    const human = await schema(root, 'check', 'product', '--sdl', sdl);
    expect(human.stdout).toContain('used by ProductPage from web@1.4.0');
  });

  it('passes a breaking change to a coordinate nobody used in the window, with a warning', async () => {
    await recordUse(root, 'Product.name', 'ProductPage', 'web@1.4.0');
    const sdl = variant(root, 'removed', (s) => s.replace('  "Long description, plain text."\n  description: String!\n', ''));
    const { code, stdout } = await schema(root, 'check', 'product', '--sdl', sdl, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.changes[0]).toMatchObject({ severity: 'breaking', blocking: false, usage: [] });
    expect(report.lint.find((p: { rule: string }) => p.rule === 'deprecate-before-removal').severity).toBe('warning');
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
    await recordUse(root, 'Product.description', 'ProductPage', 'ios@7');
    const bad = variant(root, 'removed', (s) => s.replace('  "Long description, plain text."\n  description: String!\n', ''));
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

  it('exits 2 when the command itself cannot run', async () => {
    expect((await schema(root, 'check', 'nope')).code).toBe(2);
    expect((await schema(root, 'check', 'product', '--sdl', path.join(root, 'missing.graphql'))).code).toBe(2);
  });
});
