import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { projectPath } from '../../shared';

/** One TypeScript file of the project, parsed (no type checking), with its path relative to the root. */
export interface SourceFile {
  /** Relative to the project root, with `/`: `router/createRouter.ts`. */
  path: string;
  ast: ts.SourceFile;
}

/** The `.ts` files under the given top-level folders, parsed. */
export function sourceFiles(...folders: string[]): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(projectPath(dir), { withFileTypes: true })) {
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(parseSource(relative));
    }
  };
  for (const folder of folders) walk(folder);
  return files;
}

/** Parses one project file (path relative to the root). */
export function parseSource(relative: string): SourceFile {
  const text = fs.readFileSync(projectPath(relative), 'utf8');
  return { path: relative, ast: ts.createSourceFile(relative, text, ts.ScriptTarget.ES2022, true) };
}

/** Every node of a file, depth first. */
export function nodesOf(root: ts.Node): ts.Node[] {
  const nodes: ts.Node[] = [];
  const visit = (node: ts.Node) => {
    nodes.push(node);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return nodes;
}

/** `file:line` of a node, for failure messages. */
export function where(file: SourceFile, node: ts.Node): string {
  return `${file.path}:${file.ast.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
}

/** The project file a relative module specifier of `from` names (without extension), or null for a package. */
export function resolveSpecifier(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
}
