import { AsyncLocalStorage } from 'node:async_hooks';
import Redis from 'ioredis';
import type { Logger } from './logger';

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
 *
 * Such a tag also drops every cached list of the type (`Type*`): a created entity, or one whose change moves it into
 * or out of a filtered or ordered list, may change lists that do not hold it. A change that cannot (a price, a stock,
 * on lists that neither filter nor order on them) is declared in place (`declareChangedInPlace`): its tags are listed
 * in `ENTITY_CHANGES_IN_PLACE_EXTENSION` as well, and drop only the entries that hold the entity, so the other cached
 * pages stay. Every tag is in `ENTITY_CHANGES_EXTENSION`, so a router that knows nothing of in-place changes (an
 * older one, during a rolling upgrade) still drops everything it must, and more.
 */
export const ENTITY_CHANGES_EXTENSION = 'changedEntities';

/** The tags of `ENTITY_CHANGES_EXTENSION` declared in place only (see above). */
export const ENTITY_CHANGES_IN_PLACE_EXTENSION = 'changedEntitiesInPlace';

/**
 * How the entity cache's Redis clients connect: a command fails within 250 ms while Redis is down or slow (no
 * offline queue, no retries), so a cache that cannot reach Redis is skipped, never waited on.
 */
export const ENTITY_CACHE_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 1_000,
  commandTimeout: 250,
};

/**
 * Marks a tag declared in place inside the router, and in a purge or a message of a writer that knows it
 * (`~Product.id=5`): only entries holding the entity are dropped, not every list of its type. Subgraphs send plain
 * tags with the in-place list beside them (`ENTITY_CHANGES_IN_PLACE_EXTENSION`, `inPlace` on the channel).
 */
export const IN_PLACE_PREFIX = '~';

/**
 * The Redis channel on which invalidations reach every router: a JSON `{ tags: string[], inPlace?: string[] }`
 * (`inPlace`: which of `tags` were declared in place).
 */
export const ENTITY_CHANGES_CHANNEL = 'supergraph:entity-cache:invalidate';

/** A request's declared changes, and where they are published (the routers' channel), when a Redis is configured. */
interface Collected {
  tags: Set<string>;
  /** Tags declared in place, and never otherwise in this request. */
  inPlace: Set<string>;
  /** Tags declared otherwise at least once (a request that declares both: not in place). */
  whole: Set<string>;
  published: Set<string>;
  publisher: EntityChangePublisher | null;
}

const changes = new AsyncLocalStorage<Collected>();

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
  const add = (tag: string) => {
    collected.tags.add(tag);
    collected.whole.add(tag);
    collected.inPlace.delete(tag);
  };
  if (keys.length === 0) add(typename);
  for (const key of keys) for (const [field, value] of Object.entries(key)) add(entityTag(typename, field, value));
}

/**
 * Declares that this request changed, in place, the entity of type `typename` known by each of `keys`: fields that no
 * list filters or orders on, so it is in the same lists as before. Entries holding it (its entity entries, the pages
 * that list it) are dropped; other cached lists of the type stay, except those that hold an entity of the type
 * without a key named here (nothing else could name it in them): name one key, the one reads select. When unsure,
 * use `declareChanged`.
 */
export function declareChangedInPlace(typename: string, ...keys: Record<string, unknown>[]): void {
  const collected = changes.getStore();
  if (!collected) return;
  const add = (tag: string) => {
    collected.tags.add(tag);
    if (!collected.whole.has(tag)) collected.inPlace.add(tag);
  };
  if (keys.length === 0) add(typename);
  for (const key of keys) for (const [field, value] of Object.entries(key)) add(entityTag(typename, field, value));
}

/**
 * Runs `fn` collecting the changes its code declares; `changedTags()` reads them inside it, `publishChanges()` sends
 * them to every router through `publisher` (none: they only travel in the GraphQL response extension).
 */
export function collectingChanges<T>(fn: () => T, publisher: EntityChangePublisher | null = null): T {
  return changes.run({ tags: new Set(), inPlace: new Set(), whole: new Set(), published: new Set(), publisher }, fn);
}

/** The tags declared so far in this request (empty outside `collectingChanges`). */
export function changedTags(): string[] {
  return [...(changes.getStore()?.tags ?? [])];
}

/** Which of `changedTags()` were declared in place only. */
export function changedInPlace(): string[] {
  return [...(changes.getStore()?.inPlace ?? [])];
}

/**
 * Plain tags and the in-place list (as subgraphs send them) as the router's tags: each in-place one marked with
 * `IN_PLACE_PREFIX`. A tag that already carries the prefix keeps it.
 */
export function markInPlace(tags: readonly string[], inPlace: readonly string[]): string[] {
  const marked = new Set(inPlace);
  return tags.map((tag) => (marked.has(tag) && !tag.startsWith(IN_PLACE_PREFIX) ? `${IN_PLACE_PREFIX}${tag}` : tag));
}

/** The router's tags as they travel: plain tags (the prefix taken off), and which of them are in place. */
export function splitInPlace(tags: readonly string[]): { tags: string[]; inPlace: string[] } {
  const plain = tags.map((tag) => (tag.startsWith(IN_PLACE_PREFIX) ? tag.slice(IN_PLACE_PREFIX.length) : tag));
  const inPlace = tags.filter((tag) => tag.startsWith(IN_PLACE_PREFIX)).map((tag) => tag.slice(IN_PLACE_PREFIX.length));
  const whole = new Set(tags);
  return { tags: [...new Set(plain)], inPlace: [...new Set(inPlace)].filter((tag) => !whole.has(tag)) };
}

/**
 * Publishes the changes declared so far and not yet published to every router (`ENTITY_CHANGES_CHANNEL`), for writes
 * that do not answer through a router (the internal stock API, a batch job). Called before answering; never throws.
 */
export async function publishChanges(): Promise<void> {
  const collected = changes.getStore();
  if (!collected?.publisher) return;
  const fresh = [...collected.tags].filter((tag) => !collected.published.has(tag));
  if (fresh.length === 0) return;
  for (const tag of fresh) collected.published.add(tag);
  await collected.publisher.publish(
    fresh,
    fresh.filter((tag) => collected.inPlace.has(tag)),
  );
}

/**
 * A subgraph's connection to the routers' invalidation channel (`CACHE_REDIS_URL`, else `REDIS_URL`). Redis down:
 * the message is lost with a warning (at most once a minute); routers keep the entries until their TTL.
 */
export class EntityChangePublisher {
  private readonly redis: Redis;
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly logger: Logger,
  ) {
    this.redis = new Redis(url, ENTITY_CACHE_REDIS_OPTIONS);
    this.redis.on('error', (error: Error) => this.warn(error));
  }

  async publish(tags: string[], inPlace: string[] = []): Promise<void> {
    try {
      await this.redis.publish(ENTITY_CHANGES_CHANNEL, JSON.stringify(inPlace.length > 0 ? { tags, inPlace } : { tags }));
    } catch (error) {
      this.warn(error);
    }
  }

  close(): void {
    this.redis.disconnect();
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: error }, 'entity changes cannot be published to Redis: routers keep cached entries until their TTL');
  }
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
