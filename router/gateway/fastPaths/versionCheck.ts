import path from 'node:path';

/**
 * What every replacement of `@apollo/gateway` internals shares (the fast paths, the override-label hook): the
 * package versions they were written and tested against, read from the installed packages, and the check that
 * refuses to patch anything else.
 */

/** The packages the router patches and the version of each its patches were tested with. */
export const TESTED_VERSIONS: Readonly<Record<string, string>> = {
  '@apollo/gateway': '2.14.4',
  '@apollo/federation-internals': '2.14.4',
  '@apollo/query-planner': '2.14.4',
};

/** The installed version of each patched package (what the version checks read; tests pass other values). */
export type PackageVersions = Readonly<Record<string, string | undefined>>;

/** The versions of the patched packages as resolved from `from` (the router's folder; tests pass another tree). */
export function installedVersions(from: string = __dirname): PackageVersions {
  const versions: Record<string, string | undefined> = {};
  // The copy the gateway itself loads is the one a patch must reach: if it resolves another copy than the
  // router does (a nested, different version), the version read is marked so that the check refuses it.
  let gatewayDir: string | null = null;
  try {
    gatewayDir = path.dirname(require.resolve('@apollo/gateway/package.json', { paths: [from] }));
  } catch {
    gatewayDir = null;
  }
  for (const name of Object.keys(TESTED_VERSIONS)) {
    try {
      const ours = require.resolve(`${name}/package.json`, { paths: [from] });
      versions[name] = (require(ours) as { version?: string }).version;
      const gateways = gatewayDir ? require.resolve(`${name}/package.json`, { paths: [gatewayDir] }) : ours;
      if (gateways !== ours) versions[name] = `${versions[name]} (the gateway loads another copy: ${path.dirname(gateways)})`;
    } catch {
      versions[name] = undefined;
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
