import { reusingOperations } from './operationReuse';
import { fastComputeResponse } from './resultShaping';

/** Wrappers already put in place, by module and export, so that installing twice wraps nothing twice. */
const installed = new Map<string, unknown>();

/**
 * Replaces `name` in the exports object of `modulePath` with `wrap(current)`, where the package's own code
 * looks it up on every call. `require` gives the module object itself (an `import` would hand over a copy of
 * its exports). Idempotent.
 */
function replaceExport<T>(modulePath: string, name: string, wrap: (original: T) => T): void {
  const exports = require(modulePath) as Record<string, T>;
  const key = `${modulePath}#${name}`;
  if (installed.has(key) && exports[name] === installed.get(key)) return;
  const wrapped = wrap(exports[name]);
  installed.set(key, wrapped);
  exports[name] = wrapped;
}

/**
 * The router's faster versions of two gateway internals, process-wide (`ROUTER_GATEWAY_FAST_PATHS`):
 *
 * - `computeResponse` of `@apollo/gateway`'s result shaping, which its `executeQueryPlan` calls on every
 *   request (`resultShaping.ts` beside this file);
 * - `operationFromDocument` of federation-internals' operations module, which the package index reads on every
 *   call (`operationReuse.ts` beside this file).
 *
 * Both packages are pinned at the same 2.14.x; the tests compare each replacement with the original it wraps,
 * so an upgrade that changes either fails them.
 */
export function installGatewayFastPaths(): void {
  replaceExport('@apollo/gateway/dist/resultShaping', 'computeResponse', fastComputeResponse);
  replaceExport('@apollo/federation-internals/dist/operations', 'operationFromDocument', reusingOperations);
}
