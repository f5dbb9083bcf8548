/**
 * `npm run compose`: composes subgraphs/<name>/schema.graphql into schema/supergraph.graphql.
 * `--check` writes nothing and exits 1 when the committed supergraph is stale (for CI).
 */
import fs from 'node:fs';
import { projectPath } from '../shared';
import { composeSupergraph, readSubgraphSources } from './composeSupergraph';

const target = projectPath('schema', 'supergraph.graphql');
const check = process.argv.includes('--check');
const result = composeSupergraph(readSubgraphSources());

if (!result.ok) {
  for (const problem of result.problems) {
    const where = problem.subgraphs.length > 0 ? problem.subgraphs.join(', ') : 'supergraph';
    console.error(`[${where}] ${problem.code}: ${problem.message}`);
  }
  console.error(`composition failed with ${result.problems.length} error(s); ${target} is unchanged`);
  process.exit(1);
}
const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
if (check) {
  if (current !== result.supergraphSdl) {
    console.error('schema/supergraph.graphql is stale: run `npm run compose` and commit it');
    process.exit(1);
  }
  console.log('schema/supergraph.graphql is up to date');
} else if (current === result.supergraphSdl) {
  console.log('schema/supergraph.graphql is up to date');
} else {
  const temporary = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, result.supergraphSdl);
  fs.renameSync(temporary, target);
  console.log(`wrote ${target}`);
}
