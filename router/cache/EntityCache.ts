import { createHash } from 'node:crypto';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { trace } from '@opentelemetry/api';
import { type DocumentNode, type GraphQLSchema, Kind, parse } from 'graphql';
import {
  ENTITY_CHANGES_EXTENSION,
  ENTITY_CHANGES_IN_PLACE_EXTENSION,
  entityTag,
  IN_PLACE_PREFIX,
  type Logger,
  markInPlace,
  stableJson,
} from '../../shared';
import { AuthorizationPolicy } from '../authorization/AuthorizationPolicy';
import type { RouterContext } from '../RouterContext';
import type { PreparedSupergraph } from '../supergraph/prepareSupergraph';
import { subgraphsOf } from '../supergraph/subgraphsOf';
import { CachedSupergraph, listTag, missingKeyTag } from './CachedSupergraph';
import type { CacheRead, CacheStore } from './CacheStore';
import type { InvalidationBus } from './InvalidationBus';

type ProcessOptions = GraphQLDataSourceProcessOptions<RouterContext>;
type Send = (options: ProcessOptions) => Promise<GatewayGraphQLResponse>;
type Scope = 'PUBLIC' | 'PRIVATE';

/** A cached answer: data, expiry and fetch time (store clock, ms), scope, and tags (root fields: read from the data). */
interface Entry {
  d: unknown;
  x: number;
  f: number;
  s: Scope;
  t?: string[];
  /** 1: the subgraph gave no hint (the TTL is the operator's, `ENTITY_CACHE_TTLS`): a hit replays max-age 0. */
  n?: 1;
}

/** A TTL the operator configured for answers of one subgraph and type that carry no hint (`ENTITY_CACHE_TTLS`). */
export interface ConfiguredTtl {
  seconds: number;
  scope: Scope;
}

/** What one operation took from the cache: read by the development extension and the `Cache-Tag` header. */
export interface CacheReport {
  /** Answers from the cache: an entity (`type`, `key`: the representation's fields) or a root field fetch (`type: 'Query'`). */
  hits: { subgraph: string; type: string; key: Record<string, unknown> }[];
  /** Entities and root-field fetches that went to subgraphs through the cache (cached afterwards or not). */
  misses: number;
  /** Tags of everything the operation read through the cache. */
  tags: Set<string>;
}

/** Counters per `subgraph` and `type` (`Query` for root fields), read by the metrics. */
export interface EntityCacheStats {
  byType: Map<string, { subgraph: string; type: string; hits: number; misses: number; bytesWritten: number }>;
  /** Fetches answered partly from the cache, partly by the subgraph, per subgraph. */
  partial: Map<string, number>;
  /** Tags invalidated, by where the invalidation came from. */
  invalidations: { mutation: number; remote: number; admin: number };
}

export interface EntityCacheOptions {
  store: CacheStore;
  /** Longest an entry lives, whatever the hint (seconds). */
  maxTtlSeconds: number;
  /** After an invalidation, how long answers fetched are still not served (read replicas catching up), in ms. Default 0. */
  replicaSettleMs?: number;
  bus?: InvalidationBus | null;
  logger: Logger;
  /**
   * TTLs for answers without a hint, by `<subgraph>.<Type>` (`Query` for a subgraph's root fields). Without one, an
   * answer with no hint is not cached.
   */
  configuredTtls?: ReadonlyMap<string, ConfiguredTtl>;
}

const tracer = trace.getTracer('supergraph.entity-cache');

/** Invalidations are remembered past the longest entry and the longest fetch (a fill lands at most a request timeout later). */
const INVALIDATION_MARGIN_MS = 15 * 60_000;

/** More tags than this in one invalidation (a remote message, a purge): the in-process store is cleared instead. */
export const MAX_TAGS_PER_INVALIDATION = 1_000;

interface QueryShape {
  kind: 'entities' | 'root' | 'mutation' | 'other';
  /** Hash of the query without its operation name (the selection the plan asks for). */
  selection: string;
  document: DocumentNode | null;
}

/** Where a fetch's answers are looked up and stored, by who may read them. */
interface Scopes {
  /** The key part shared by every caller, or null when the selection is protected. */
  shared: string | null;
  /** The key part of this caller alone, or null for an anonymous caller. */
  own: string | null;
}

/**
 * The entity cache, between the gateway and its subgraphs (`SubgraphDataSource.process` calls `fetch`).
 *
 * - **What**: each entity of an `_entities` fetch, and the answer of a root-field query fetch (`product(id:)`,
 *   `products(first:)`), keyed by subgraph, supergraph version, the selection (the query without its name, and its
 *   variables other than `representations`), who may read it, and the representation.
 * - **Who may read it**: the subgraph's `Cache-Control` scope decides. `public` answers are shared by every caller
 *   (a subgraph whose answer depends on the caller's identity headers must say `private`); `private` answers, and
 *   any selection naming a field under `@authenticated`/`@requiresScopes`, are stored for the signed-in caller alone
 *   (user id and scopes) and not at all for an anonymous one.
 * - **How long**: the subgraph's `Cache-Control` max-age for the fetch (the minimum hint over its selection), at most
 *   `maxTtlSeconds`. No hint (max-age 0, `no-store`): the TTL the operator configured for the subgraph and type
 *   (`configuredTtls`, private unless configured public; a hit replays max-age 0, as the subgraph said), else not
 *   cached. A hit replays its remaining TTL and scope
 *   into the response's cache policy, as the subgraph's header would have.
 * - **Never cached**: an answer with any error, a `null` entity or root field, mutations.
 * - **Partial hits**: only the misses are sent, and the answers merged back in the plan's order (error paths
 *   renumbered to the plan's indexes).
 * - **Invalidation**: a mutation's `changedEntities` extension invalidates its tags before the response goes back
 *   to the gateway; an entry is valid only if its data was fetched after the last invalidation of each of its tags.
 */
export class EntityCache {
  readonly stats: EntityCacheStats = { byType: new Map(), partial: new Map(), invalidations: { mutation: 0, remote: 0, admin: 0 } };
  private readonly shapes = new Map<string, QueryShape>();
  private readonly reports = new WeakMap<object, CacheReport>();
  private readonly supergraphs = new WeakMap<GraphQLSchema, CachedSupergraph>();
  /** Tags (as expanded) the store could not record: recorded again on reconnect; this router's lookups skip them until then. */
  private readonly unstored = new Set<string>();
  /** Tags the bus could not publish: published again on reconnect. */
  private readonly unpublished = new Set<string>();
  private retrying: Promise<void> | null = null;
  private retryAgain = false;
  private lastRetry = 0;

  constructor(private readonly options: EntityCacheOptions) {
    options.store.onReconnect?.(() => void this.retryPending());
    options.bus?.onReconnect(() => void this.retryPending());
  }

  /** Invalidations made here that Redis has not taken yet (store or pub/sub unreachable when they were made). */
  get pendingInvalidations(): number {
    return this.unstored.size + this.unpublished.size;
  }

  get store(): CacheStore {
    return this.options.store;
  }

  /** A supergraph version the gateway loaded: requests planned on `apiSchema` read and write entries of `version`. */
  useSupergraph(apiSchema: GraphQLSchema, version: string, supergraph: PreparedSupergraph): void {
    const protectedNames = new AuthorizationPolicy(supergraph, apiSchema).protectedFieldNames;
    const subgraphs = new Set(subgraphsOf(supergraph.document).map(({ name }) => name));
    const unknown = [...(this.options.configuredTtls?.keys() ?? [])].filter((name) => {
      const type = name.slice(name.lastIndexOf('.') + 1);
      return !subgraphs.has(name.slice(0, name.lastIndexOf('.'))) || (type !== 'Query' && !apiSchema.getType(type));
    });
    if (unknown.length > 0) {
      this.options.logger.warn(
        { unknown, version },
        'ENTITY_CACHE_TTLS names subgraphs or types this supergraph does not have: they are never cached',
      );
    }
    this.supergraphs.set(apiSchema, new CachedSupergraph(version, apiSchema, supergraph.document, protectedNames));
  }

  /** What the operation whose context this is took from the cache (undefined when it went through no cacheable fetch). */
  reportOf(context: object): CacheReport | undefined {
    return this.reports.get(context);
  }

  /** Answers one subgraph fetch, from the cache where it can; `send` makes the real call. */
  async fetch(subgraph: string, options: ProcessOptions, send: Send): Promise<GatewayGraphQLResponse> {
    if (!('incomingRequestContext' in options) || !options.request.query) return send(options);
    const shape = this.shapeOf(options.request.query);
    if (shape.kind === 'mutation') {
      const response = await send(options);
      await this.invalidateDeclared(response);
      return response;
    }
    const supergraph = this.supergraphs.get(options.incomingRequestContext.schema as GraphQLSchema);
    if (!supergraph || shape.kind === 'other') return send(options);
    const { caller } = options.context;
    const scopes: Scopes = {
      shared: supergraph.namesProtectedField(options.request.query) ? null : 'shared',
      own: caller?.userId ? `user:${caller.userId}:${[...caller.scopes].sort().join(' ')}` : null,
    };
    if (!scopes.shared && !scopes.own) return send(options);
    if (shape.kind === 'root') return this.fetchRoot(subgraph, supergraph, shape, scopes, options, send);
    const representations = options.request.variables?.representations;
    if (!Array.isArray(representations) || representations.length === 0) return send(options);
    return this.fetchEntities(subgraph, supergraph, shape, scopes, representations, options, send);
  }

  private async fetchEntities(
    subgraph: string,
    supergraph: CachedSupergraph,
    shape: QueryShape,
    scopes: Scopes,
    representations: unknown[],
    options: ProcessOptions,
    send: Send,
  ): Promise<GatewayGraphQLResponse> {
    const { representations: _, ...otherVariables } = options.request.variables ?? {};
    const base = `${subgraph}\n${supergraph.version}\n${shape.selection}\n${stableJson(otherVariables)}`;
    const keysOf = (scope: string | null) =>
      scope === null ? [] : representations.map((representation) => digest(`${base}\n${scope}\n${stableJson(representation)}`));
    const sharedKeys = keysOf(scopes.shared);
    const ownKeys = keysOf(scopes.own);
    const tagsOf = representations.map((representation) =>
      tagsOfRepresentation(representation as Record<string, unknown>, supergraph.keyFields.get(typenameOf(representation))),
    );
    const allTags = [...new Set(tagsOf.flat())];
    await this.retryBeforeLookup();
    const read = await this.lookup(subgraph, 'entities', [...sharedKeys, ...ownKeys], allTags);
    if (!read) return send(options);
    const invalidatedAt = new Map(allTags.map((tag, index) => [tag, read.invalidatedAt[index]]));
    const valid = (entry: Entry | null, tags: string[]): entry is Entry =>
      entry !== null &&
      entry.x > read.now &&
      tags.every((tag) => !this.unstored.has(tag) && this.fetchedAfter(entry, invalidatedAt.get(tag) ?? 0));

    const results: unknown[] = new Array(representations.length);
    const misses: number[] = [];
    const hitEntries: Entry[] = [];
    const report = this.reportFor(options.context);
    representations.forEach((representation, index) => {
      const shared = sharedKeys.length ? parseEntry(read.entries[index]) : null;
      const own = ownKeys.length ? parseEntry(read.entries[sharedKeys.length + index]) : null;
      const entry = valid(shared, tagsOf[index]) ? shared : valid(own, tagsOf[index]) ? own : null;
      const typename = typenameOf(representation);
      const counters = this.countersOf(subgraph, typename);
      for (const tag of tagsOf[index]) report.tags.add(tag);
      if (entry) {
        results[index] = entry.d;
        hitEntries.push(entry);
        counters.hits += 1;
        report.hits.push({ subgraph, type: typename, key: withoutTypename(representation) });
      } else {
        misses.push(index);
        counters.misses += 1;
      }
    });
    report.misses += misses.length;
    replayPolicy(options, hitEntries, read.now);
    if (misses.length === 0) return { data: { _entities: results } };
    if (hitEntries.length > 0) this.stats.partial.set(subgraph, (this.stats.partial.get(subgraph) ?? 0) + 1);

    const sent =
      misses.length === representations.length
        ? options
        : withRepresentations(
            options,
            misses.map((index) => representations[index]),
          );
    const response = await send(sent);
    const fetched = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    const where = this.whereToStore(response, scopes, subgraph, [...new Set(misses.map((index) => typenameOf(representations[index])))]);
    if (where && Array.isArray(fetched) && fetched.length === misses.length) {
      const keys = where.scope === scopes.shared ? sharedKeys : ownKeys;
      await this.write(
        subgraph,
        misses.flatMap((index, position) => {
          const data = fetched[position];
          if (data === null || data === undefined) return [];
          return [
            {
              key: keys[index],
              type: typenameOf(representations[index]),
              entry: entryOf(data, read.now, where),
            },
          ];
        }),
        where.ttlMs,
      );
    }
    if (sent === options) return response;
    misses.forEach((index, position) => {
      results[index] = Array.isArray(fetched) ? (fetched[position] ?? null) : null;
    });
    return {
      ...response,
      data: { ...(response.data ?? {}), _entities: results },
      errors: response.errors?.map((error) => renumbered(error, misses)),
    };
  }

  private async fetchRoot(
    subgraph: string,
    supergraph: CachedSupergraph,
    shape: QueryShape,
    scopes: Scopes,
    options: ProcessOptions,
    send: Send,
  ): Promise<GatewayGraphQLResponse> {
    const base = `${subgraph}\n${supergraph.version}\n${shape.selection}\n${stableJson(options.request.variables ?? {})}`;
    const keys = [scopes.shared, scopes.own].map((scope) => (scope === null ? null : digest(`${base}\n${scope}`)));
    await this.retryBeforeLookup();
    const read = await this.lookup(
      subgraph,
      'root',
      keys.filter((key): key is string => key !== null),
      [],
    );
    if (!read) return send(options);
    const report = this.reportFor(options.context);
    const counters = this.countersOf(subgraph, 'Query');
    const candidates = read.entries.map(parseEntry).filter((entry): entry is Entry => entry !== null && entry.x > read.now);
    for (const candidate of candidates) {
      const tags = candidate.t ?? [];
      if (tags.some((tag) => this.unstored.has(tag))) continue;
      const checked = tags.length === 0 ? read : await this.options.store.read([], tags);
      if (!checked?.invalidatedAt.every((at) => this.fetchedAfter(candidate, at))) continue;
      counters.hits += 1;
      for (const tag of tags) report.tags.add(tag);
      report.hits.push({ subgraph, type: 'Query', key: {} });
      replayPolicy(options, [candidate], read.now);
      return { data: candidate.d as Record<string, unknown> };
    }
    counters.misses += 1;
    report.misses += 1;
    const response = await send(options);
    const data = response.data as Record<string, unknown> | null | undefined;
    const where = this.whereToStore(response, scopes, subgraph, ['Query']);
    if (!where || !data || !shape.document || Object.values(data).some((value) => value === null)) return response;
    const tags = supergraph.tagsOfAnswer(shape.document, data);
    // An answer naming no entity type (a scalar root field, a selection of plain values) has nothing an invalidation
    // could name, so it is not cached: an entry without tags would live its whole TTL whatever is written.
    if (!tags || tags.size === 0) return response;
    for (const tag of tags) report.tags.add(tag);
    const key = where.scope === scopes.shared ? keys[0] : keys[1];
    if (key) {
      await this.write(
        subgraph,
        [
          {
            key,
            type: 'Query',
            entry: entryOf(data, read.now, where, [...tags]),
          },
        ],
        where.ttlMs,
      );
    }
    return response;
  }

  /**
   * One read of the store in a span of its own (`entity_cache.lookup <subgraph>`: the fetch's kind, the keys and tags
   * asked, the entries found before their validity is checked, whether the store answered).
   */
  private lookup(subgraph: string, kind: 'entities' | 'root', keys: string[], tags: string[]): Promise<CacheRead | null> {
    const attributes = {
      'entity_cache.subgraph': subgraph,
      'entity_cache.kind': kind,
      'entity_cache.keys': keys.length,
      'entity_cache.tags': tags.length,
      'entity_cache.store': this.options.store.kind,
    };
    return tracer.startActiveSpan(`entity_cache.lookup ${subgraph}`, { attributes }, async (span) => {
      try {
        const read = await this.options.store.read(keys, tags);
        span.setAttribute('entity_cache.store_answered', read !== null);
        span.setAttribute('entity_cache.found', read?.entries.filter((entry) => entry !== null).length ?? 0);
        return read;
      } finally {
        span.end();
      }
    });
  }

  /** Whether `entry` was fetched after an invalidation at `at` (0: none) and the replicas' settling time after it. */
  private fetchedAfter(entry: Entry, at: number): boolean {
    return at === 0 || entry.f > at + (this.options.replicaSettleMs ?? 0);
  }

  /**
   * Where an answer may be stored (which scope, how long), or null when it may not be cached: the subgraph's hint,
   * else the TTL configured for every one of `types` in `subgraph` (the shortest, private if any is), else nothing.
   */
  private whereToStore(
    response: GatewayGraphQLResponse,
    scopes: Scopes,
    subgraph: string,
    types: string[],
  ): { scope: string; ttlMs: number; hint: Scope; configured: boolean } | null {
    if (response.errors?.length) return null;
    let hint: { maxAge: number; scope: Scope } = cacheHintOf(response.http?.headers.get('cache-control') ?? null);
    const configured = hint.maxAge <= 0;
    if (configured) {
      const ttls = types.map((type) => this.options.configuredTtls?.get(`${subgraph}.${type}`));
      if (ttls.length === 0 || ttls.some((ttl) => ttl === undefined)) return null;
      hint = {
        maxAge: Math.min(...ttls.map((ttl) => ttl?.seconds ?? 0)),
        // A subgraph's `private` (with no max-age) stays private whatever the configuration says.
        scope: hint.scope === 'PRIVATE' || ttls.some((ttl) => ttl?.scope === 'PRIVATE') ? 'PRIVATE' : 'PUBLIC',
      };
    }
    const scope = hint.scope === 'PUBLIC' && scopes.shared ? scopes.shared : scopes.own;
    if (!scope) return null;
    return {
      scope,
      ttlMs: Math.min(hint.maxAge, this.options.maxTtlSeconds) * 1000,
      hint: scope === scopes.shared ? 'PUBLIC' : 'PRIVATE',
      configured,
    };
  }

  private async write(subgraph: string, entries: { key: string; type: string; entry: Entry }[], ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const writes = entries.map(({ key, type, entry }) => {
      const value = JSON.stringify(entry);
      this.countersOf(subgraph, type).bytesWritten += Buffer.byteLength(value);
      return { key, value, ttlMs };
    });
    await this.options.store.write(writes);
  }

  /**
   * Drops every entry carrying one of `tags`, and every root-field answer that lists an entity of their types (not
   * for a tag declared in place, `~Type.field=value`: only the entries holding that entity): marks
   * them invalidated now (in Redis for the Redis store, so every router sees it at its next lookup) and tells the
   * other routers. Resolves once this router's store has it, or has failed to: then the tags are kept and recorded
   * and published again when Redis is back (on reconnect, or at a lookup at most once a second), and until recorded
   * this router's lookups of entries carrying them are misses. Other routers may serve the old value until then,
   * bounded by the entry's TTL (sooner if the writing subgraph's own publish reached them).
   */
  async invalidate(tags: string[], origin: keyof EntityCacheStats['invalidations']): Promise<void> {
    if (tags.length === 0) return;
    const expanded = new Set<string>();
    for (const tag of tags) {
      // In place (`~Product.id=5`): the entries holding the entity by that key, and those holding an entity of the
      // type without that key (`Product!id`: nothing else could name it). Otherwise every list of the type too.
      if (tag.startsWith(IN_PLACE_PREFIX)) {
        const inPlace = tag.slice(IN_PLACE_PREFIX.length);
        expanded.add(inPlace);
        const keyed = /^([^.*!]+)\.([^=]+)=/.exec(inPlace);
        if (keyed) expanded.add(missingKeyTag(keyed[1], keyed[2]));
      } else expanded.add(tag).add(listTag(typeOfTag(tag)));
    }
    this.stats.invalidations[origin] += tags.length;
    const { store, logger } = this.options;
    if (expanded.size > MAX_TAGS_PER_INVALIDATION && store.clear) {
      logger.warn({ tags: tags.length, origin }, 'an invalidation of too many tags: the in-process entity cache is cleared instead');
      await store.clear(this.keepMs());
    } else if (!(await this.options.store.invalidate([...expanded], this.keepMs()))) for (const tag of expanded) this.unstored.add(tag);
    const bus = this.options.bus;
    if (origin !== 'remote' && bus && !(await bus.publish(tags))) for (const tag of tags) this.unpublished.add(tag);
  }

  private keepMs(): number {
    return this.options.maxTtlSeconds * 1000 + (this.options.replicaSettleMs ?? 0) + INVALIDATION_MARGIN_MS;
  }

  /** Before a lookup: records kept invalidations first if the last attempt is a second old (bounded wait while Redis is down). */
  private async retryBeforeLookup(): Promise<void> {
    if (this.pendingInvalidations > 0 && Date.now() - this.lastRetry >= 1_000) await this.retryPending();
  }

  /**
   * Records and publishes the invalidations kept while Redis could not be reached, one attempt at a time; a call
   * during an attempt (the other connection came back) makes one more attempt after it.
   */
  private retryPending(): Promise<void> {
    if (this.retrying) {
      this.retryAgain = true;
      return this.retrying;
    }
    if (this.unstored.size === 0 && this.unpublished.size === 0) return Promise.resolve();
    this.lastRetry = Date.now();
    this.retrying = (async () => {
      try {
        const unstored = [...this.unstored];
        if (unstored.length > 0 && (await this.options.store.invalidate(unstored, this.keepMs()))) {
          for (const tag of unstored) this.unstored.delete(tag);
        }
        const unpublished = [...this.unpublished];
        if (unpublished.length > 0 && (!this.options.bus || (await this.options.bus.publish(unpublished)))) {
          for (const tag of unpublished) this.unpublished.delete(tag);
        }
      } finally {
        this.retrying = null;
      }
      if (this.retryAgain) {
        this.retryAgain = false;
        await this.retryPending();
      }
    })();
    return this.retrying;
  }

  /** Applies an invalidation another router (or a writer outside the routers) published. */
  async invalidateRemote(tags: string[]): Promise<void> {
    await this.invalidate(tags, 'remote');
  }

  async close(): Promise<void> {
    await this.options.bus?.close();
    await this.options.store.close();
  }

  private async invalidateDeclared(response: GatewayGraphQLResponse): Promise<void> {
    const declared = response.extensions?.[ENTITY_CHANGES_EXTENSION];
    const declaredInPlace = response.extensions?.[ENTITY_CHANGES_IN_PLACE_EXTENSION];
    if (response.extensions) {
      delete response.extensions[ENTITY_CHANGES_EXTENSION];
      delete response.extensions[ENTITY_CHANGES_IN_PLACE_EXTENSION];
    }
    if (!Array.isArray(declared)) return;
    await this.invalidate(markInPlace(strings(declared), Array.isArray(declaredInPlace) ? strings(declaredInPlace) : []), 'mutation');
  }

  private reportFor(context: object): CacheReport {
    let report = this.reports.get(context);
    if (!report) {
      report = { hits: [], misses: 0, tags: new Set() };
      this.reports.set(context, report);
    }
    return report;
  }

  private countersOf(subgraph: string, type: string) {
    const id = `${subgraph}\u0000${type}`;
    let counters = this.stats.byType.get(id);
    if (!counters) {
      counters = { subgraph, type, hits: 0, misses: 0, bytesWritten: 0 };
      this.stats.byType.set(id, counters);
    }
    return counters;
  }

  private shapeOf(query: string): QueryShape {
    let shape = this.shapes.get(query);
    if (shape) return shape;
    const operation = /^\s*(query|mutation|subscription)\b/.exec(query)?.[1] ?? 'query';
    let document: DocumentNode | null = null;
    try {
      document = parse(query);
    } catch {
      document = null;
    }
    const definition = document?.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    const rootFields = definition?.kind === Kind.OPERATION_DEFINITION ? definition.selectionSet.selections : [];
    const entities =
      rootFields.length === 1 &&
      rootFields[0].kind === Kind.FIELD &&
      rootFields[0].name.value === '_entities' &&
      !rootFields[0].alias &&
      rootFields[0].arguments?.length === 1 &&
      rootFields[0].arguments[0].value.kind === Kind.VARIABLE &&
      rootFields[0].arguments[0].value.name.value === 'representations';
    const introspection = rootFields.some((field) => field.kind === Kind.FIELD && field.name.value.startsWith('__'));
    shape = {
      kind:
        operation === 'mutation'
          ? 'mutation'
          : operation !== 'query' || !document || introspection
            ? 'other'
            : entities
              ? 'entities'
              : rootFields.some((field) => field.kind === Kind.FIELD && field.name.value === '_entities')
                ? 'other'
                : 'root',
      selection: digest(query.replace(/^\s*query\s+[A-Za-z_][A-Za-z0-9_]*/, 'query')),
      document,
    };
    if (this.shapes.size >= 5_000) this.shapes.clear();
    this.shapes.set(query, shape);
    return shape;
  }
}

/** Restricts the response's cache policy as the subgraph's header would have for these cached answers. */
function replayPolicy(options: ProcessOptions, entries: Entry[], now: number): void {
  if (entries.length === 0 || !('incomingRequestContext' in options)) return;
  const policy = options.incomingRequestContext.overallCachePolicy as { restrict?: (hint: { maxAge: number; scope: Scope }) => void };
  // An entry cached on the operator's TTL (the subgraph gave no hint) replays what the subgraph said: not cacheable.
  const maxAge = Math.min(...entries.map((entry) => (entry.n ? 0 : Math.floor((entry.x - now) / 1000))));
  policy?.restrict?.({ maxAge, scope: entries.some((entry) => entry.s === 'PRIVATE') ? 'PRIVATE' : 'PUBLIC' });
}

function strings(values: unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string');
}

/** A cached answer `data` fetched at `now`, kept as `where` says, with the tags of a root-field answer. */
function entryOf(data: unknown, now: number, where: { ttlMs: number; hint: Scope; configured: boolean }, tags?: string[]): Entry {
  return { d: data, x: now + where.ttlMs, f: now, s: where.hint, ...(tags ? { t: tags } : {}), ...(where.configured ? { n: 1 } : {}) };
}

/** The type a tag names (`Product` of `Product.id=5`, `Product*`, `Product!id` or `Product`). */
function typeOfTag(tag: string): string {
  return /^[^.*!]+/.exec(tag)?.[0] ?? tag;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

function typenameOf(representation: unknown): string {
  const typename = (representation as { __typename?: unknown } | null)?.__typename;
  return typeof typename === 'string' ? typename : '?';
}

function withoutTypename(representation: unknown): Record<string, unknown> {
  const { __typename: _, ...key } = (representation ?? {}) as Record<string, unknown>;
  return key;
}

/**
 * The tags an entity fetched from `representation` carries: its type, each of its fields' values, and for each key
 * field of the type (`keyFields`) it lacks, the missing-key tag (a change declared in place by that key cannot name it).
 */
export function tagsOfRepresentation(representation: Record<string, unknown>, keyFields?: ReadonlySet<string>): string[] {
  const typename = typenameOf(representation);
  const fields = withoutTypename(representation);
  const missing = [...(keyFields ?? [])].filter((field) => !(field in fields)).map((field) => missingKeyTag(typename, field));
  return [typename, ...Object.entries(fields).map(([field, value]) => entityTag(typename, field, value)), ...missing];
}

function parseEntry(raw: string | null | undefined): Entry | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Entry;
  } catch {
    return null;
  }
}

/** A subgraph's `Cache-Control` as a hint: max-age (0 when absent, `no-store` or `no-cache`) and scope. */
export function cacheHintOf(header: string | null): { maxAge: number; scope: Scope } {
  if (!header) return { maxAge: 0, scope: 'PUBLIC' };
  const directives = header
    .toLowerCase()
    .split(',')
    .map((part) => part.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return { maxAge: 0, scope: 'PUBLIC' };
  const maxAge = directives.map((part) => /^max-age=(\d+)$/.exec(part)?.[1]).find((value) => value !== undefined);
  return { maxAge: maxAge === undefined ? 0 : Number(maxAge), scope: directives.includes('private') ? 'PRIVATE' : 'PUBLIC' };
}

function withRepresentations(options: ProcessOptions, representations: unknown[]): ProcessOptions {
  return { ...options, request: { ...options.request, variables: { ...options.request.variables, representations } } };
}

/** An error of the misses-only fetch with its `_entities` index turned back into the plan's. */
function renumbered<T extends { path?: ReadonlyArray<string | number> }>(error: T, misses: number[]): T {
  const path = error.path;
  if (path?.[0] !== '_entities' || typeof path[1] !== 'number' || misses[path[1]] === undefined) return error;
  return { ...error, path: ['_entities', misses[path[1]], ...path.slice(2)] };
}
