import path from 'node:path';
import { memoisingCreateHash, memoisingMediaType, memoisingPreventCsrf } from './apolloServer';
import { reusingOperations } from './operationReuse';
import { fastComputeResponse } from './resultShaping';
import { sendingWithoutRequestObject } from './sendRequest';
import { type PackageVersions, packageDir, untestedVersions } from './versionCheck';

type Holder = Record<string, (...args: unknown[]) => unknown>;

interface FastPath {
  /**
   * The module whose exports (or an exported class's prototype: `holder`) hold the function replaced: a name the
   * router resolves, or the path of a module that only another package resolves (Apollo Server's own copies).
   */
  module: string | (() => string);
  /** The packages whose versions the replacement was tested with: the module's, and the caller's where it differs. */
  packages: string[];
  /** The name of the function replaced, in its holder; the fast path's name when absent. */
  exportName?: string;
  /** Where the function is, from the module's exports; the exports themselves when absent. */
  holder?: (exports: Record<string, unknown>) => Holder;
  /** The replacement, from the original and the object that held it. */
  wrap: (original: never, holder: never) => unknown;
}

/** `resolve()`, worked out at the first call only (`holderOf` asks again at every install and report). */
function once(resolve: () => string): () => string {
  let resolved: string | null = null;
  return () => {
    resolved ??= resolve();
    return resolved;
  };
}

/** A module of Apollo Server's, or one it resolves from its own folder (`name` relative to that folder's dist/cjs, or a package). */
function apolloServerModule(name: string): () => string {
  return once(() => {
    const serverDir = packageDir('@apollo/server', __dirname);
    return name.startsWith('./') ? path.join(serverDir, 'dist', 'cjs', name) : require.resolve(name, { paths: [serverDir] });
  });
}

/** The fast paths by name: where each replacement goes, and what it wraps the original with. */
const FAST_PATHS = {
  computeResponse: {
    module: '@apollo/gateway/dist/resultShaping',
    // resultShaping.ts works on the gateway's federation-internals objects with that package's own helpers.
    packages: ['@apollo/gateway', '@apollo/federation-internals'],
    wrap: fastComputeResponse,
  },
  operationFromDocument: {
    module: '@apollo/federation-internals/dist/operations',
    packages: ['@apollo/federation-internals', '@apollo/gateway'],
    wrap: reusingOperations,
  },
  sendRequest: {
    module: '@apollo/gateway/dist/datasources/RemoteGraphQLDataSource',
    packages: ['@apollo/gateway'],
    holder: (exports: Record<string, unknown>) => (exports.RemoteGraphQLDataSource as { prototype: Holder }).prototype,
    wrap: sendingWithoutRequestObject,
  },
  // Apollo Server's request pipeline (apolloServer.ts beside this file).
  queryHash: {
    module: apolloServerModule('@apollo/utils.createhash'),
    packages: ['@apollo/server', '@apollo/utils.createhash via @apollo/server'],
    exportName: 'createHash',
    wrap: (original: never) => memoisingCreateHash(original),
  },
  planKeyHash: {
    module: once(() => require.resolve('@apollo/utils.createhash', { paths: [packageDir('@apollo/gateway', __dirname)] })),
    packages: ['@apollo/gateway', '@apollo/utils.createhash via @apollo/gateway'],
    exportName: 'createHash',
    wrap: (original: never) => memoisingCreateHash(original),
  },
  mediaType: {
    module: apolloServerModule('negotiator'),
    packages: ['@apollo/server', 'negotiator via @apollo/server'],
    holder: (exports: Record<string, unknown>) => (exports as unknown as { prototype: Holder }).prototype,
    wrap: (original: never, prototype: never) => memoisingMediaType(original, prototype),
  },
  preventCsrf: {
    module: apolloServerModule('./preventCsrf.js'),
    packages: ['@apollo/server'],
    wrap: (original: never) => memoisingPreventCsrf(original),
  },
} satisfies Record<string, FastPath>;

export type FastPathName = keyof typeof FAST_PATHS;

/** The wrappers put in place in this module registry, by fast path, so that installing twice wraps nothing twice. */
const installed = new Map<FastPathName, unknown>();
/** Calls that reached each installed replacement (read by the router's metrics and the tests). */
const calls: Record<FastPathName, number> = {
  computeResponse: 0,
  operationFromDocument: 0,
  sendRequest: 0,
  queryHash: 0,
  planKeyHash: 0,
  mediaType: 0,
  preventCsrf: 0,
};

/** The object that holds fast path `name`'s function: its module's exports, or the prototype it names. */
function holderOf(name: FastPathName): Holder {
  const fastPath: FastPath = FAST_PATHS[name];
  const exports = require(typeof fastPath.module === 'function' ? fastPath.module() : fastPath.module) as Record<string, unknown>;
  return fastPath.holder ? fastPath.holder(exports) : (exports as Holder);
}

/** The name of the function fast path `name` replaces, in its holder. */
function exportNameOf(name: FastPathName): string {
  return (FAST_PATHS[name] as FastPath).exportName ?? name;
}

/** What an install did: the fast paths now active, and why the others are not (null when all are). */
export interface FastPathsReport {
  active: FastPathName[];
  refused: string | null;
}

/**
 * Replaces `name` in the exports object of its module with a counted `wrap(current)`, where the package's own
 * code looks it up on every call. `require` gives the module object itself (an `import` would hand over a
 * copy of its exports). Idempotent.
 */
function replaceExport(name: FastPathName): void {
  const exportName = exportNameOf(name);
  const exports = holderOf(name);
  if (installed.has(name) && exports[exportName] === installed.get(name)) return;
  const original = exports[exportName];
  if (typeof original !== 'function') throw new Error(`fast path ${name}: its module has no function ${exportName}`);
  const fast = (FAST_PATHS[name] as FastPath).wrap(original as never, exports as never) as (...args: unknown[]) => unknown;
  const counted = function (this: unknown, ...args: unknown[]) {
    calls[name] += 1;
    return fast.apply(this, args);
  };
  installed.set(name, counted);
  exports[exportName] = counted;
}

/**
 * The router's faster versions of four gateway internals and three of Apollo Server's request pipeline,
 * process-wide (`ROUTER_GATEWAY_FAST_PATHS`):
 *
 * - `computeResponse` of `@apollo/gateway`'s result shaping, which its `executeQueryPlan` calls on every
 *   request (`resultShaping.ts` beside this file);
 * - `operationFromDocument` of federation-internals' operations module, which the package index reads on every
 *   call (`operationReuse.ts` beside this file);
 * - `sendRequest` of `RemoteGraphQLDataSource` (the prototype the router's data sources inherit it from), which
 *   sends every subgraph call (`sendRequest.ts` beside this file);
 * - `queryHash` and `planKeyHash` (`createHash` of the createhash copies Apollo Server and the gateway load),
 *   `mediaType` (Negotiator's, which Apollo Server constructs per request) and `preventCsrf` (Apollo Server's
 *   module): memos of what every request recomputes from the same text (`apolloServer.ts` beside this file).
 *
 * Each only on the versions of its own packages it was tested with (`versionCheck.ts`): where one differs, that fast
 * path is not put in place, the package runs its own code there and the report says why (the router logs it as a
 * warning); an upgrade of Apollo Server leaves the gateway's in place, and the other way round. `versions` is what
 * the check reads: the installed packages', or a test's.
 */
export function installGatewayFastPaths(versions: PackageVersions): FastPathsReport {
  const refusedBy = new Map<string, FastPathName[]>();
  for (const name of Object.keys(FAST_PATHS) as FastPathName[]) {
    const untested = untestedVersions((FAST_PATHS[name] as FastPath).packages, versions);
    if (untested === null) replaceExport(name);
    else refusedBy.set(untested, [...(refusedBy.get(untested) ?? []), name]);
  }
  const refused = [...refusedBy].map(([untested, names]) => `${names.join(', ')}: untested versions: ${untested}`).join('; ');
  return { active: activeGatewayFastPaths(), refused: refused || null };
}

/** The fast paths in place in this module registry now (installed by any router of the process). */
export function activeGatewayFastPaths(): FastPathName[] {
  return (Object.keys(FAST_PATHS) as FastPathName[]).filter((name) => {
    return installed.has(name) && holderOf(name)[exportNameOf(name)] === installed.get(name);
  });
}

/** How many calls reached each fast path since the process started. */
export function gatewayFastPathCalls(): Readonly<Record<FastPathName, number>> {
  return { ...calls };
}
