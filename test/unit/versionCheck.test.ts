import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installedVersions, TESTED_VERSIONS, untestedVersions } from '../../router/gateway/fastPaths/versionCheck';

/**
 * A node_modules tree with each package at `versions` (a `name via loader` label inside the loader's own
 * node_modules), and `nested` copies inside @apollo/gateway's own node_modules.
 */
function tree(versions: Record<string, string>, nested: Record<string, string> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'version-check-'));
  const write = (dir: string, name: string, version: string) => {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    fs.writeFileSync(path.join(dir, name, 'package.json'), JSON.stringify({ name, version }));
  };
  for (const [label, version] of Object.entries(versions)) {
    const [name, loader] = label.split(' via ');
    write(loader ? path.join(root, 'node_modules', loader, 'node_modules') : path.join(root, 'node_modules'), name, version);
  }
  for (const [name, version] of Object.entries(nested))
    write(path.join(root, 'node_modules', '@apollo', 'gateway', 'node_modules'), name, version);
  return root;
}

describe('the version guard of the gateway patches', () => {
  const packages = Object.keys(TESTED_VERSIONS);

  it('reads the tested versions where the gateway shares the router’s copies, and lets the patches in', () => {
    const root = tree({ ...TESTED_VERSIONS });
    expect(installedVersions(root)).toEqual(TESTED_VERSIONS);
    expect(untestedVersions(packages, installedVersions(root))).toBeNull();
  });

  it('refuses when the gateway loads a copy of its own, even at the tested version: a patch would miss it', () => {
    const root = tree({ ...TESTED_VERSIONS }, { '@apollo/query-planner': '2.15.0' });
    const versions = installedVersions(root);
    expect(versions['@apollo/query-planner']).toMatch(
      /^2\.14\.4 \(the gateway loads another copy: .*@apollo\/gateway\/node_modules\/@apollo\/query-planner\)$/,
    );
    expect(untestedVersions(['@apollo/gateway', '@apollo/query-planner'], versions)).toMatch(
      /@apollo\/query-planner 2\.14\.4 \(the gateway loads another copy/,
    );
    expect(untestedVersions(['@apollo/gateway', '@apollo/federation-internals'], versions)).toBeNull();
  });

  it('reads the copies Apollo Server and the gateway load from their own folders, where the patches must reach them', () => {
    // A top-level copy of another version: neither loader resolves it.
    const root = tree({ ...TESTED_VERSIONS, '@apollo/utils.createhash': '1.0.0' });
    const versions = installedVersions(root);
    expect(versions['@apollo/utils.createhash via @apollo/server']).toBe('3.0.1');
    expect(versions['@apollo/utils.createhash via @apollo/gateway']).toBe('2.0.2');
    const nested = path.join(root, 'node_modules', '@apollo', 'server', 'node_modules', '@apollo', 'utils.createhash');
    fs.writeFileSync(path.join(nested, 'package.json'), JSON.stringify({ name: '@apollo/utils.createhash', version: '3.0.2' }));
    expect(untestedVersions(packages, installedVersions(root))).toBe(
      '@apollo/utils.createhash via @apollo/server 3.0.2 (tested with 3.0.1)',
    );
  });

  it('reads the installed Apollo Server, whose package.json its exports leave out, from its entry point', () => {
    expect(() => require.resolve('@apollo/server/package.json')).toThrow();
    const manifest = path.join(path.dirname(require.resolve('@apollo/server')), '..', '..', 'package.json');
    const { name, version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name: string; version: string };
    expect(name).toBe('@apollo/server');
    expect(installedVersions()['@apollo/server']).toBe(version);
  });

  it('says a package is not found rather than guessing', () => {
    const root = tree({ '@apollo/gateway': '2.14.4' });
    expect(untestedVersions(packages, installedVersions(root))).toMatch(/@apollo\/federation-internals \(not found\)/);
  });
});
