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

export function installedVersions(): PackageVersions {
  const versions: Record<string, string | undefined> = {};
  for (const name of Object.keys(TESTED_VERSIONS)) {
    try {
      versions[name] = (require(`${name}/package.json`) as { version?: string }).version;
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
