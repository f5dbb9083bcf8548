import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * An environment variable the code reads, found by reading the sources with the TypeScript compiler. `name` is
 * either a whole name (`MAX_DEPTH`) or, for names the code builds at run time that no source spells out, a pattern
 * with `*` for the built part (`*_SUBGRAPH_SECRET`).
 */
export interface EnvironmentRead {
  name: string;
  /**
   * Where the name is spelled out, relative to the root, with a line: the read itself, or the literal a caller passes
   * down to it (`router/RouterConfig.ts:206` for `readPort(env, 'ROUTER_PORT', …)`, not `shared/env.ts`).
   */
  where: string;
}

/** Folders never scanned: dependencies, build output, and anything hidden (`.git`, `.data`, `bench/.tmp`). */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'coverage']);
const SOURCE = /\.(ts|js|cjs|mjs)$/;
const VARIABLE = /^[A-Z][A-Z0-9_]*$/;
/** How deep a name is followed back through function parameters to the call sites that pass it. */
const MAX_HOPS = 8;

export function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(full);
    }
  };
  walk(root);
  return files.sort();
}

/**
 * Every environment variable `files` read. A read is `process.env.X`, `process.env['X']`, `env.X` or `env[name]`
 * (`env` being how the config readers and `shared/env.ts` name the environment they are handed), or a destructuring
 * of one of those. A name that is not a literal at the read is followed back: through `const`s, `for … of` over a
 * literal list, template literals, `.toUpperCase()`, a parameter typed as a union of literals (`SubgraphName`), and
 * any other parameter to the arguments its callers pass (`readInteger(env, 'ROUTER_PORT', …)` reaches `env[name]`
 * in `shared/env.ts` that way, and `readLimit(env, 'MAX_DEPTH', …)` gives `MAX_DEPTH_MODE`). What stays unknown
 * becomes `*`. A regular expression tested against each name of `Object.keys(env)` (`/^([A-Z][A-Z0-9_]*)_SUBGRAPH_SECRET$/`)
 * is a pattern too. Callers in `*.test.ts` files are not followed: they hand the readers made-up environments.
 */
export function findEnvironmentReads(root: string, files: string[] = sourceFiles(root)): EnvironmentRead[] {
  const program = ts.createProgram(files, {
    allowJs: true,
    noEmit: true,
    noResolve: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  });
  const checker = program.getTypeChecker();
  const sources = files.map((file) => program.getSourceFile(file)).filter((source): source is ts.SourceFile => source !== undefined);

  const callsByName = new Map<string, ts.CallExpression[]>();
  const visitCalls = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
      if (ts.isIdentifier(callee)) {
        const list = callsByName.get(callee.text) ?? [];
        list.push(node);
        callsByName.set(callee.text, list);
      }
    }
    ts.forEachChild(node, visitCalls);
  };
  for (const source of sources) {
    if (!source.fileName.endsWith('.test.ts')) visitCalls(source);
  }

  const isEnvironment = (node: ts.Expression): boolean => {
    const inner = skipOuter(node);
    if (ts.isIdentifier(inner)) return inner.text === 'env';
    return (
      ts.isPropertyAccessExpression(inner) &&
      inner.name.text === 'env' &&
      ts.isIdentifier(inner.expression) &&
      inner.expression.text === 'process'
    );
  };

  const literalsOfType = (node: ts.Node): string[] | undefined => {
    const type = checker.getTypeAtLocation(node);
    const parts = type.isUnion() ? type.types : [type];
    const values = parts.map((part) => (part.isStringLiteral() ? part.value : undefined));
    return values.every((value): value is string => value !== undefined) && values.length > 0 ? values : undefined;
  };

  /** A name (or a piece of one) and the node that spelled it out, the deepest in the chain of callers. */
  interface Found {
    value: string;
    origin: ts.Node;
    hops: number;
  }
  const unknown = (origin: ts.Node, hops: number): Found[] => [{ value: '*', origin, hops: -1 - hops }];
  /** Joins pieces; the joined value is credited to the piece found furthest away (a caller's literal). */
  const join = (left: Found, right: Found): Found =>
    right.hops > left.hops ? { ...right, value: left.value + right.value } : { ...left, value: left.value + right.value };

  const resolve = (node: ts.Expression, hops: number, seen: Set<ts.Node>): Found[] => {
    const expression = skipOuter(node);
    if (seen.has(expression) || hops > MAX_HOPS) return unknown(expression, hops);
    const next = new Set(seen).add(expression);
    if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression))
      return [{ value: expression.text, origin: expression, hops }];
    if (ts.isTemplateExpression(expression)) {
      let values: Found[] = [{ value: expression.head.text, origin: expression, hops }];
      for (const span of expression.templateSpans) {
        const parts = resolve(span.expression, hops, next);
        values = values.flatMap((value) => parts.map((part) => join(value, { ...part, value: part.value + span.literal.text })));
      }
      return values;
    }
    if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const right = resolve(expression.right, hops, next);
      return resolve(expression.left, hops, next).flatMap((left) => right.map((part) => join(left, part)));
    }
    if (ts.isConditionalExpression(expression)) {
      return [...resolve(expression.whenTrue, hops, next), ...resolve(expression.whenFalse, hops, next)];
    }
    if (
      ts.isCallExpression(expression) &&
      ts.isPropertyAccessExpression(expression.expression) &&
      expression.expression.name.text === 'toUpperCase' &&
      expression.arguments.length === 0
    ) {
      return resolve(expression.expression.expression, hops, next).map((found) => ({ ...found, value: found.value.toUpperCase() }));
    }
    const literals = literalsOfType(expression);
    if (literals) return literals.map((value) => ({ value, origin: expression, hops }));
    if (ts.isIdentifier(expression)) return resolveIdentifier(expression, hops, next);
    return unknown(expression, hops);
  };

  const resolveIdentifier = (identifier: ts.Identifier, hops: number, seen: Set<ts.Node>): Found[] => {
    const declaration = checker.getSymbolAtLocation(identifier)?.valueDeclaration;
    if (!declaration) return unknown(identifier, hops);
    if (ts.isVariableDeclaration(declaration)) {
      const loop = declaration.parent?.parent;
      if (loop && ts.isForOfStatement(loop)) {
        const list = skipOuter(loop.expression);
        return ts.isArrayLiteralExpression(list)
          ? list.elements.flatMap((element) => resolve(element, hops, seen))
          : unknown(identifier, hops);
      }
      const constant = ts.isVariableDeclarationList(declaration.parent) && (declaration.parent.flags & ts.NodeFlags.Const) !== 0;
      return constant && declaration.initializer ? resolve(declaration.initializer, hops, seen) : unknown(identifier, hops);
    }
    if (ts.isParameter(declaration)) {
      const fn = declaration.parent;
      const index = fn.parameters.indexOf(declaration);
      const name = functionName(fn);
      const calls = name ? (callsByName.get(name) ?? []) : [];
      const values = calls.flatMap((call) => {
        const argument = call.arguments[index];
        if (argument) return resolve(argument, hops + 1, seen);
        return declaration.initializer ? resolve(declaration.initializer, hops + 1, seen) : [];
      });
      return values.length > 0 ? values : unknown(identifier, hops);
    }
    return unknown(identifier, hops);
  };

  const where = (node: ts.Node) => {
    const source = node.getSourceFile();
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    return `${path.relative(root, source.fileName).split(path.sep).join('/')}:${line}`;
  };
  const reads: EnvironmentRead[] = [];
  for (const source of sources) {
    const add = (found: Found[]) => {
      for (const { value, origin } of found) {
        if (value !== '*' && VARIABLE.test(value.replace(/\*/g, 'X'))) reads.push({ name: value, where: where(origin) });
      }
    };
    const visit = (node: ts.Node) => {
      if (ts.isPropertyAccessExpression(node) && isEnvironment(node.expression) && !isWrite(node)) {
        add([{ value: node.name.text, origin: node, hops: 0 }]);
      } else if (ts.isElementAccessExpression(node) && isEnvironment(node.expression) && !isWrite(node)) {
        add(resolve(node.argumentExpression, 0, new Set()));
      } else if (
        ts.isVariableDeclaration(node) &&
        ts.isObjectBindingPattern(node.name) &&
        node.initializer &&
        isEnvironment(node.initializer)
      ) {
        for (const element of node.name.elements) {
          const key = element.propertyName ?? element.name;
          if (ts.isIdentifier(key) || ts.isStringLiteral(key)) add([{ value: key.text, origin: element, hops: 0 }]);
        }
      } else if (ts.isRegularExpressionLiteral(node) && testsEnvironmentNames(node)) {
        const pattern = variablePattern(node.text);
        if (pattern) add([{ value: pattern, origin: node, hops: 0 }]);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return reads;

  /** `/…/.exec(name)` or `.test(name)` where `name` runs over `Object.keys(env)`. */
  function testsEnvironmentNames(regex: ts.RegularExpressionLiteral): boolean {
    const access = regex.parent;
    if (!ts.isPropertyAccessExpression(access) || !['exec', 'test'].includes(access.name.text)) return false;
    const call = access.parent;
    const argument = ts.isCallExpression(call) ? call.arguments[0] : undefined;
    if (!argument || !ts.isIdentifier(argument)) return false;
    const declaration = checker.getSymbolAtLocation(argument)?.valueDeclaration;
    const loop = declaration?.parent?.parent;
    if (!loop || !ts.isForOfStatement(loop)) return false;
    const keys = skipOuter(loop.expression);
    return (
      ts.isCallExpression(keys) &&
      ts.isPropertyAccessExpression(keys.expression) &&
      keys.expression.getText() === 'Object.keys' &&
      keys.arguments.length === 1 &&
      isEnvironment(keys.arguments[0])
    );
  }
}

/** `^([A-Z][A-Z0-9_]*)_SUBGRAPH_SECRET$` → `*_SUBGRAPH_SECRET`; undefined for anything else. */
export function variablePattern(regex: string): string | undefined {
  const source = regex.slice(1, regex.lastIndexOf('/'));
  if (!source.startsWith('^') || !source.endsWith('$')) return undefined;
  const pattern = source.slice(1, -1).replace(/\(?\[A-Z\]\[A-Z0-9_\]\*\)?/g, '*');
  return /^[*A-Z0-9_]+$/.test(pattern) && pattern.includes('*') && /[A-Z]/.test(pattern) ? pattern : undefined;
}

function skipOuter(node: ts.Expression): ts.Expression {
  let current = node;
  while (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isNonNullExpression(current))
    current = current.expression;
  return current;
}

/** `env.X = …` and `delete env.X` set or remove a variable (for a child process), they do not read it. */
function isWrite(node: ts.Expression): boolean {
  const parent = node.parent;
  if (ts.isDeleteExpression(parent)) return true;
  return ts.isBinaryExpression(parent) && parent.left === node && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
}

function functionName(fn: ts.SignatureDeclaration): string | undefined {
  if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  const holder = fn.parent;
  if (
    (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) &&
    holder &&
    ts.isVariableDeclaration(holder) &&
    ts.isIdentifier(holder.name)
  ) {
    return holder.name.text;
  }
  return undefined;
}
