/**
 * `npm run persisted-queries -- --client <name> --version <version> [--out <file>] <operations.graphql…>`:
 * builds a client build's trusted-document list (Apollo's persisted-query manifest format) from its operation
 * files. Put the file in the router's PERSISTED_QUERIES_DIR; ship the ids with the client.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildManifest } from '../router';

const USAGE = 'usage: npm run persisted-queries -- --client <name> --version <version> [--out <file>] <operations.graphql>…';

function main(args: string[]): number {
  let client: string | undefined;
  let version: string | undefined;
  let out: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--client') client = args[++i];
    else if (arg === '--version') version = args[++i];
    else if (arg === '--out') out = args[++i];
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    } else if (arg.startsWith('--')) {
      console.error(`unknown option ${arg}\n${USAGE}`);
      return 2;
    } else files.push(arg);
  }
  if (!client || !version || files.length === 0) {
    console.error(USAGE);
    return 2;
  }
  try {
    const manifest = buildManifest(
      { name: client, version },
      files.map((file) => ({ file, text: fs.readFileSync(file, 'utf8') })),
    );
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    if (out) {
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.writeFileSync(out, text);
      console.error(`wrote ${manifest.operations.length} operations for ${client} ${version} to ${out}`);
    } else process.stdout.write(text);
    return 0;
  } catch (error) {
    console.error(`persisted-queries: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
