import { ErrorCode, entityTag, HttpError, type Route, readBody, secretsMatch, sendJson } from '../../shared';
import type { EntityCache } from './EntityCache';

/** The largest purge body accepted, and the most tags one purge may name. */
const MAX_BODY_BYTES = 256 * 1024;
const MAX_TAGS = 10_000;

/**
 * `POST /cache/invalidate` on the admin port: an operator's purge, with `Authorization: Bearer <CACHE_ADMIN_TOKEN>`
 * (401 without it, or when no token is configured). The JSON body names any of
 * - `types`: `["Product"]`, every entity of each type;
 * - `entities`: `[{ "type": "Product", "key": { "id": "5" } }]`, one entity by a key (each field is a tag);
 * - `tags`: raw tags as subgraphs declare them (`Product.sku=LAMP-1`).
 * Answers `{ "invalidated": <tags> }` once this router's store has it (and the other routers were told). A body
 * that is not that shape is refused with 400 BAD_REQUEST and purges nothing.
 */
export function invalidationRoute(cache: EntityCache, adminToken: string | null): Route {
  return {
    path: '/cache/invalidate',
    handler: async (req, res) => {
      if (req.method !== 'POST') throw new HttpError(405, ErrorCode.BAD_REQUEST, 'Use POST.', { allow: 'POST' });
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (adminToken === null || !secretsMatch(given, adminToken)) {
        throw new HttpError(401, ErrorCode.UNAUTHENTICATED, 'POST /cache/invalidate needs the admin credential (CACHE_ADMIN_TOKEN).');
      }
      const tags = tagsOfPurge(await readBody(req, MAX_BODY_BYTES));
      await cache.invalidate(tags, 'admin');
      sendJson(res, 200, { invalidated: tags });
    },
  };
}

function refuse(message: string): never {
  throw new HttpError(400, ErrorCode.BAD_REQUEST, message);
}

/** The tags a purge body names, or a 400 that says what is wrong with it. */
export function tagsOfPurge(body: Buffer): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    refuse('The body must be JSON: { "types": [...], "entities": [...], "tags": [...] }.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) refuse('The body must be a JSON object.');
  const { types = [], entities = [], tags = [], ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0) refuse(`Unknown field(s): ${Object.keys(rest).join(', ')}.`);
  const names = (value: unknown, field: string): string[] => {
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.length === 0 || item.length > 1000)) {
      refuse(`${field} must be a list of non-empty strings.`);
    }
    return value as string[];
  };
  const collected = [...names(types, 'types'), ...names(tags, 'tags')];
  if (!Array.isArray(entities)) refuse('entities must be a list of { "type": ..., "key": { ... } }.');
  for (const entity of entities as unknown[]) {
    const { type, key } = (entity ?? {}) as { type?: unknown; key?: unknown };
    if (
      typeof type !== 'string' ||
      !type ||
      typeof key !== 'object' ||
      key === null ||
      Array.isArray(key) ||
      Object.keys(key).length === 0
    ) {
      refuse('entities must be a list of { "type": "Product", "key": { "id": "5" } }.');
    }
    for (const [field, value] of Object.entries(key as Record<string, unknown>)) collected.push(entityTag(type, field, value));
  }
  if (collected.length === 0) refuse('Name at least one type, entity or tag.');
  if (collected.length > MAX_TAGS) refuse(`At most ${MAX_TAGS} tags in one purge.`);
  return [...new Set(collected)];
}
