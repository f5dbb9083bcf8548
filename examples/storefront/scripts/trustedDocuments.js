// Turns Apollo's manifest into the router's trusted-document list for this build: the same operations, with the
// client name and version the app sends (apollographql-client-name/-version), in build/persisted-queries/.
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.join(here, '..');
const { name, version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'persisted-query-manifest.json'), 'utf8'));
const dir = path.join(root, 'build', 'persisted-queries');
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${name}@${version}.json`);
fs.writeFileSync(file, `${JSON.stringify({ ...manifest, client: { name, version } }, null, 2)}\n`);
console.log(`trusted documents: ${manifest.operations.length} operations for ${name} ${version} in ${path.relative(root, file)}`);
