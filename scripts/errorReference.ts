/**
 * `npm run docs:errors [-- --check]`: writes `docs/errors.md` from the error registry (`shared/errorRegistry.ts`).
 * `--check` (CI) writes nothing and fails when the committed file differs from what the registry generates.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectPath } from '../shared';
import { renderErrorReference } from './lib/renderErrorReference';

const FILE = projectPath('docs', 'errors.md');

function main(args: string[]): number {
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}\nusage: npm run docs:errors [-- --check]`);
    return 2;
  }
  const generated = renderErrorReference();
  const current = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : '';
  if (args.includes('--check')) {
    if (current !== generated) console.error('docs/errors.md is stale: run `npm run docs:errors` and commit it');
    return current === generated ? 0 : 1;
  }
  fs.mkdirSync(path.dirname(FILE), { recursive: true });
  fs.writeFileSync(FILE, generated);
  console.log(current === generated ? 'docs/errors.md is up to date' : 'wrote docs/errors.md');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
