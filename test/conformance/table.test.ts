import fs from 'node:fs';
import { projectPath } from '../../shared';
import { CORPUS, corpusTable } from './corpusTable';

const DOC = projectPath('docs', 'any-supergraph.md');
const START = '<!-- corpus-table:start -->';
const END = '<!-- corpus-table:end -->';

describe('the conformance corpus table', () => {
  it('has at least 30 cases, each with a unique name', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CORPUS.map((definition) => definition.name)).size).toBe(CORPUS.length);
  });

  it('docs/any-supergraph.md shows it as the cases declare it (CONFORMANCE_TABLE_WRITE=1 rewrites it)', () => {
    const text = fs.readFileSync(DOC, 'utf8');
    const block = `${START}\n${corpusTable()}\n${END}`;
    if (process.env.CONFORMANCE_TABLE_WRITE) {
      const start = text.indexOf(START);
      const end = text.indexOf(END);
      if (start < 0 || end < 0) throw new Error(`${DOC} has no ${START} … ${END} block`);
      fs.writeFileSync(DOC, `${text.slice(0, start)}${block}${text.slice(end + END.length)}`);
      return;
    }
    expect(text).toContain(block);
  });
});
