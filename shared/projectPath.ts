import fs from 'node:fs';
import path from 'node:path';

let root: string | undefined;

/**
 * A path inside the project, whether the code runs compiled from `dist/` or as TypeScript under jest:
 * the root is the nearest folder above this file with the project's package.json.
 */
export function projectPath(...segments: string[]): string {
  if (root === undefined) {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error(`No package.json above ${__dirname}`);
      dir = parent;
    }
    root = dir;
  }
  return path.join(root, ...segments);
}
