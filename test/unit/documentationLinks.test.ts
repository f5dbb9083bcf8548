import fs from 'node:fs';
import path from 'node:path';
import { projectPath } from '../../shared';

/**
 * Pages that the README and the docs link to while another branch of the same change writes them. A link to one
 * passes while the page is missing; once it exists, the entry must go (the last test says so), so that the list
 * never hides a page that was deleted later.
 */
const WRITTEN_ELSEWHERE: Readonly<Record<string, string>> = {};

const root = projectPath();

function pages(): string[] {
  const docs = fs
    .readdirSync(path.join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`);
  return ['README.md', 'bench/README.md', ...docs.sort()];
}

/** The text outside fenced code blocks and code spans, where a `[text](target)` is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for each heading: lower case, punctuation dropped, spaces as `-`, `-1`, `-2` for repeats. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface Link {
  page: string;
  target: string;
  line: number;
}

function relativeLinks(page: string): Link[] {
  const text = prose(fs.readFileSync(path.join(root, page), 'utf8'));
  const links: Link[] = [];
  text.split('\n').forEach((line, index) => {
    for (const [, target] of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ page, target, line: index + 1 });
    }
  });
  return links;
}

describe('links in the README and docs/', () => {
  it.each(pages())('%s: every relative link reaches a file, and every #anchor a heading', (page) => {
    const broken: string[] = [];
    for (const link of relativeLinks(page)) {
      const [file, anchor] = link.target.split('#');
      const resolved = file ? path.normalize(path.join(path.dirname(page), decodeURI(file))) : page;
      const where = `${page}:${link.line} → ${link.target}`;
      if (!fs.existsSync(path.join(root, resolved))) {
        if (!(resolved in WRITTEN_ELSEWHERE)) broken.push(`${where}: no file ${resolved}`);
        continue;
      }
      if (anchor && resolved.endsWith('.md') && !headingAnchors(fs.readFileSync(path.join(root, resolved), 'utf8')).has(anchor)) {
        broken.push(`${where}: no heading with anchor #${anchor} in ${resolved}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README links to every page in docs/', () => {
    const linked = new Set(relativeLinks('README.md').map((link) => path.normalize(link.target.split('#')[0])));
    const unlinked = pages()
      .filter((page) => page.startsWith('docs/'))
      .filter((page) => !linked.has(page));
    expect(unlinked).toEqual([]);
  });

  it('waits only for pages that do not exist yet', () => {
    const arrived = Object.keys(WRITTEN_ELSEWHERE).filter((page) => fs.existsSync(path.join(root, page)));
    // Once a page is there, remove it from WRITTEN_ELSEWHERE above: its links are then checked like any other.
    expect(arrived).toEqual([]);
  });

  it('works out anchors as GitHub does', () => {
    const anchors = headingAnchors('# Title\n## `docker-compose.yml`\n```\n# not a heading\n```\n## Demand control\n### Demand control\n');
    expect([...anchors]).toEqual(['title', 'docker-composeyml', 'demand-control', 'demand-control-1']);
  });
});
