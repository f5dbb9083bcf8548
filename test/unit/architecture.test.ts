import fs from 'node:fs';
import ts from 'typescript';
import { projectPath } from '../../shared';
import { nodesOf, parseSource, resolveSpecifier, type SourceFile, sourceFiles, where } from '../helpers/sourceFiles';

/**
 * The rules of docs/architecture.md, checked on the source: which folder may import which, and where
 * `process.env` may be read. A failure names the file and line; fix the code, or change the rule in the doc
 * and here together.
 */

/** The only files that read `process.env`, each with why. Config readers read the `env` these hand them. */
const ENV_READERS: Record<string, string> = {
  'router/main.ts': "the router's entry point",
  'subgraphs/account/main.ts': "the account subgraph's entry point",
  'subgraphs/product/main.ts': "the product subgraph's entry point",
  'subgraphs/order/main.ts': "the order subgraph's entry point",
  'shared/subgraph/runSubgraph.ts': "every subgraph's main, which each subgraph's main.ts calls",
  'shared/telemetry/register.ts': 'the telemetry bootstrap: it must run before anything it instruments is loaded',
  'schema/schemaCli.ts': 'command line: npm run compose, npm run schema',
  'scripts/start.ts': 'command line: npm start',
  'scripts/seed.ts': 'command line: npm run seed',
  'scripts/token.ts': 'command line: npm run token',
  'scripts/generateMigration.ts': 'command line: npm run migration:generate',
  'scripts/persistedQueries.ts': 'command line: npm run persisted-queries',
  'scripts/storefront.ts': 'command line: npm run storefront',
  'scripts/errorReference.ts': 'command line: npm run docs:errors',
  'scripts/faultSoak.ts': 'command line: npm run soak',
  'scripts/benchDemandControl.ts': 'command line: npm run bench:demand',
  'scripts/benchTelemetry.ts': 'command line: npm run bench:telemetry',
  'scripts/benchUsageRecording.ts': 'command line: npm run bench:usage',
};

/**
 * The router's rooms (its folders) and the rooms each may import; top-level files (createRouter.ts, index.ts…)
 * may import any room, and a room may import the top-level RouterConfig and RouterContext (types every room shares).
 */
const ROUTER_ROOMS: Record<string, string[]> = {
  auth: [],
  persisted: [],
  resilience: [],
  supergraph: [],
  usage: [],
  warmup: [],
  authorization: ['supergraph'],
  demand: ['supergraph'],
  cache: ['authorization', 'supergraph'],
  gateway: ['authorization', 'cache', 'resilience', 'supergraph'],
  metrics: ['cache', 'demand', 'gateway', 'resilience', 'supergraph'],
  http: ['auth', 'cache', 'demand', 'gateway', 'metrics', 'persisted', 'resilience', 'supergraph', 'warmup'],
};
const SHARED_TOP_LEVEL = new Set(['router/RouterConfig', 'router/RouterContext']);

const SOURCE = ['router', 'shared', 'subgraphs', 'schema', 'scripts'];

interface Import {
  /** The project file imported, without extension (`router/createRouter`), or null for a package. */
  target: string | null;
  at: string;
}

/** Every import of a file: `import`, `export … from`, `import x = require()`, `require()` and `import()`. */
function importsOf(file: SourceFile): Import[] {
  const imports: Import[] = [];
  const add = (specifier: ts.Node | undefined, node: ts.Node) => {
    if (specifier && ts.isStringLiteralLike(specifier))
      imports.push({ target: resolveSpecifier(file.path, specifier.text), at: where(file, node) });
  };
  for (const node of nodesOf(file.ast)) {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, node);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      add(node.arguments[0], node);
    }
  }
  return imports;
}

/** Where a file reads `process.env` (`process.env`, `process['env']`, `const { env } = process`). */
function envReadsOf(file: SourceFile): string[] {
  const reads: string[] = [];
  const isProcess = (node: ts.Node) => ts.isIdentifier(node) && node.text === 'process';
  for (const node of nodesOf(file.ast)) {
    if (ts.isPropertyAccessExpression(node) && isProcess(node.expression) && node.name.text === 'env') reads.push(where(file, node));
    if (ts.isElementAccessExpression(node) && isProcess(node.expression) && ts.isStringLiteralLike(node.argumentExpression)) {
      if (node.argumentExpression.text === 'env') reads.push(where(file, node));
    }
    if (ts.isVariableDeclaration(node) && node.initializer && isProcess(node.initializer) && ts.isObjectBindingPattern(node.name)) {
      if (node.name.elements.some((element) => (element.propertyName ?? element.name).getText() === 'env')) reads.push(where(file, node));
    }
  }
  return reads;
}

/** `subgraphs/order`, `router`, `shared`…: the part of the project a path belongs to. */
function areaOf(path: string): string {
  const [top, second] = path.split('/');
  return top === 'subgraphs' ? `subgraphs/${second}` : top;
}

/** A router file's room: its folder under router/, or `top` for the files directly in it. */
function roomOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 2 ? parts[1] : 'top';
}

describe('the architecture (docs/architecture.md)', () => {
  const files = sourceFiles(...SOURCE);
  const imports = files.flatMap((file) => importsOf(file).map((use) => ({ from: file.path, ...use })));

  it('reads the whole source', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.filter((use) => use.target?.startsWith('shared')).length).toBeGreaterThan(50);
  });

  it('no subgraph imports another subgraph', () => {
    const crossing = imports.filter(
      ({ from, target }) => from.startsWith('subgraphs/') && target?.startsWith('subgraphs/') && areaOf(target) !== areaOf(from),
    );
    expect(crossing.map(({ at, target }) => `${at} imports ${target}`)).toEqual([]);
  });

  it('the router imports no subgraph', () => {
    const crossing = imports.filter(({ from, target }) => from.startsWith('router/') && target?.startsWith('subgraphs/'));
    expect(crossing.map(({ at, target }) => `${at} imports ${target}`)).toEqual([]);
  });

  it('shared/ imports neither the router nor a subgraph', () => {
    const crossing = imports.filter(
      ({ from, target }) =>
        from.startsWith('shared/') && (target?.startsWith('router/') || target?.startsWith('subgraphs/') || target === 'router'),
    );
    expect(crossing.map(({ at, target }) => `${at} imports ${target}`)).toEqual([]);
  });

  it('each router room imports only the rooms below it', () => {
    const wrong = imports.filter(({ from, target }) => {
      if (!from.startsWith('router/') || !target?.startsWith('router/')) return false;
      const room = roomOf(from);
      const targetRoom = roomOf(target);
      if (room === 'top' || targetRoom === room) return false;
      if (targetRoom === 'top') return !SHARED_TOP_LEVEL.has(target);
      return !ROUTER_ROOMS[room]?.includes(targetRoom);
    });
    expect(wrong.map(({ at, target }) => `${at} imports ${target}`)).toEqual([]);
    expect(Object.keys(ROUTER_ROOMS).sort()).toEqual(
      fs
        .readdirSync(projectPath('router'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort(),
    );
  });

  it('reads process.env only in the entry points, the telemetry bootstrap and the command-line scripts', () => {
    const reads = files.filter((file) => !(file.path in ENV_READERS)).flatMap(envReadsOf);
    expect(reads).toEqual([]);
    for (const allowed of Object.keys(ENV_READERS)) expect([allowed, fs.existsSync(projectPath(allowed))]).toEqual([allowed, true]);
  });

  it('finds a process.env read where there is one', () => {
    expect(envReadsOf(parseSource('router/main.ts')).length).toBeGreaterThan(0);
  });
});
