import { InvalidCursor, PageSizeExceeded } from './errors';

/** A forward page request after validation: how many, and after which id (exclusive). */
export interface PageRequest {
  first: number;
  afterId: number | null;
}

/** A Relay-style connection as the schema returns it. */
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * Cursors are opaque to clients: base64url of `<list>:<id>`. The list name keeps a cursor from one
 * list from being replayed against another.
 */
export function encodeCursor(list: string, id: number): string {
  return Buffer.from(`${list}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(list: string, cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^([a-z]+):(\d{1,15})$/.exec(decoded);
  if (!match || match[1] !== list || encodeCursor(list, Number(match[2])) !== cursor) {
    throw new InvalidCursor(cursor);
  }
  return Number(match[2]);
}

/**
 * Validates `first`/`after`: `first` must be 0..maximum (a larger page is refused, never silently
 * clamped, so a client knows it did not get what it asked for).
 */
export function pageSize(
  list: string,
  args: { first?: number | null; after?: string | null },
  defaults: { first: number; maximum: number },
): PageRequest {
  const first = args.first ?? defaults.first;
  if (!Number.isInteger(first) || first < 0 || first > defaults.maximum) {
    throw new PageSizeExceeded(first, defaults.maximum);
  }
  return { first, afterId: args.after ? decodeCursor(list, args.after) : null };
}

/**
 * Builds a connection from up to `first + 1` rows in list order: the extra row only says whether a
 * next page exists.
 */
export function connectionFrom<T extends { id: number }>(list: string, rows: T[], page: PageRequest): Connection<T> {
  const nodes = rows.slice(0, page.first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(list, node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      hasPreviousPage: page.afterId !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
