import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How a subgraph tells the router's entity cache what a request changed, without the router knowing the domain.
 *
 * A resolver that writes calls `declareChanged(typename, …keys)`; the subgraph server collects the declarations of
 * the request and answers them in the response extension `ENTITY_CHANGES_EXTENSION` as a list of tags. The router
 * invalidates every cached entity carrying one of those tags before it answers the client.
 *
 * A tag is `Type.field=value` for one key field of an entity (`Product.id=5`, `Product.sku=LAMP-1`), or `Type`
 * alone for every entity of the type. An entity cached from a representation is tagged with each of the
 * representation's fields, so a subgraph should declare every key of the entity it changed that it knows.
 */
export const ENTITY_CHANGES_EXTENSION = 'changedEntities';

/** The Redis channel on which invalidations reach every router: a JSON `{ tags: string[] }`. */
export const ENTITY_CHANGES_CHANNEL = 'supergraph:entity-cache:invalidate';

const changes = new AsyncLocalStorage<Set<string>>();

/** The tag of one key field's value; the router computes the same from a representation. */
export function entityTag(typename: string, field: string, value: unknown): string {
  return `${typename}.${field}=${typeof value === 'object' && value !== null ? stableJson(value) : String(value)}`;
}

/**
 * Declares that this request changed the entity of type `typename` known by each of `keys` (`{ id: '5' }`,
 * `{ sku: 'LAMP-1' }`); no key declares the whole type changed. Outside a request it does nothing.
 */
export function declareChanged(typename: string, ...keys: Record<string, unknown>[]): void {
  const collected = changes.getStore();
  if (!collected) return;
  if (keys.length === 0) collected.add(typename);
  for (const key of keys) for (const [field, value] of Object.entries(key)) collected.add(entityTag(typename, field, value));
}

/** Runs `fn` collecting the changes its resolvers declare; `changedTags()` reads them inside it. */
export function collectingChanges<T>(fn: () => T): T {
  return changes.run(new Set(), fn);
}

/** The tags declared so far in this request (empty outside `collectingChanges`). */
export function changedTags(): string[] {
  return [...(changes.getStore() ?? [])];
}

/** JSON with object keys sorted, so that equal values give equal strings. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${stableJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
