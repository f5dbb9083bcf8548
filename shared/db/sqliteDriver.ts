/**
 * The better-sqlite3 build for this Node, given to TypeORM as its `driver`:
 * - Node 20: better-sqlite3 12 (13 needs Node 22 and crashes on 20);
 * - Node 22 and later: better-sqlite3 13, installed as the npm alias `better-sqlite3-13`, an optional dependency
 *   that npm leaves out on Node 20 (its engines say Node 22). On Node 24, 12's statement finalizer trips a Node
 *   assertion (`RemoveEnvironmentCleanupHook … (env) != nullptr`) when a jest worker exits; 13 does not.
 */
export function sqliteDriver(nodeVersion = process.versions.node): unknown {
  const major = Number(nodeVersion.split('.')[0]);
  if (major < 22) return require('better-sqlite3');
  try {
    return require('better-sqlite3-13');
  } catch (error) {
    throw new Error(
      `better-sqlite3 13 (the optional dependency better-sqlite3-13) is not installed for Node ${nodeVersion}: run npm ci with this Node (${(error as Error).message.split('\n')[0]})`,
    );
  }
}
