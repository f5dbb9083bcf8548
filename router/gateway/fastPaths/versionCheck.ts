import fs from 'node:fs';
import path from 'node:path';

/**
 * What every replacement of `@apollo/gateway` internals shares (the fast paths, the override-label hook): the
 * package versions they were written and tested against, read from the installed packages, and the check that
 * refuses to patch anything else.
 */

/**
 * The packages the router patches and the version of each its patches were tested with. `name via loader` is the
 * copy of `name` that package `loader` resolves from its own folder (the one whose code calls what is replaced).
 */
export const TESTED_VERSIONS: Readonly<Record<string, string>> = {
  '@apollo/gateway': '2.14.4',
  '@apollo/federation-internals': '2.14.4',
  '@apollo/query-planner': '2.14.4',
  '@apollo/server': '5.5.1',
  '@apollo/utils.createhash via @apollo/server': '3.0.1',
  '@apollo/utils.createhash via @apollo/gateway': '2.0.2',
  'negotiator via @apollo/server': '1.1.0',
};

/** The installed version of each patched package (what the version checks read; tests pass other values). */
export type PackageVersions = Readonly<Record<string, string | undefined>>;

/**
 * The folder of package `name` as resolved from `from`. A package whose `exports` leave out its package.json
 * (@apollo/server) is found from its entry point, up to the folder whose package.json names it.
 */
export function packageDir(name: string, from: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [from] }));
  } catch {
    // Not exported (or not there: resolving the entry point below says so).
  }
  let dir = path.dirname(require.resolve(name, { paths: [from] }));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json names ${name} above its entry point`);
    dir = parent;
  }
}

function versionIn(dir: string): string | undefined {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
}

/** The versions of the patched packages as resolved from `from` (the router's folder; tests pass another tree). */
export function installedVersions(from: string = __dirname): PackageVersions {
  const versions: Record<string, string | undefined> = {};
  const dirs = new Map<string, string | null>();
  const dirOf = (name: string): string | null => {
    if (!dirs.has(name)) {
      let dir: string | null;
      try {
        dir = packageDir(name, from);
      } catch {
        dir = null;
      }
      dirs.set(name, dir);
    }
    return dirs.get(name) ?? null;
  };
  for (const label of Object.keys(TESTED_VERSIONS)) {
    try {
      const [name, loader] = label.split(' via ');
      if (loader) {
        const dir = dirOf(loader);
        versions[label] = dir ? versionIn(packageDir(name, dir)) : undefined;
        continue;
      }
      const ours = packageDir(name, from);
      versions[label] = versionIn(ours);
      // The copy the gateway itself loads is the one a patch must reach: if it resolves another copy than the router
      // does (a nested, different version), the version read is marked so that the check refuses it.
      const gatewayDir = dirOf('@apollo/gateway');
      const gateways = gatewayDir ? packageDir(name, gatewayDir) : ours;
      if (gateways !== ours) versions[label] = `${versions[label]} (the gateway loads another copy: ${gateways})`;
    } catch {
      versions[label] = undefined;
    }
  }
  return versions;
}

/**
 * Why `packages` may not be patched at `versions`, or null when each is the version the patches were tested
 * with. An untested version may have moved or changed the functions a patch replaces, so it is never guessed at.
 */
export function untestedVersions(packages: readonly string[], versions: PackageVersions): string | null {
  const mismatches = packages
    .filter((name) => versions[name] !== TESTED_VERSIONS[name])
    .map((name) => `${name} ${versions[name] ?? '(not found)'} (tested with ${TESTED_VERSIONS[name]})`);
  return mismatches.length === 0 ? null : mismatches.join(', ');
}
