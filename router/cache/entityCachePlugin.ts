import type { ApolloServerPlugin } from '@apollo/server';
import type { RouterContext } from '../RouterContext';
import { isMissingKeyTag } from './CachedSupergraph';
import type { EntityCache } from './EntityCache';

/**
 * What the entity cache adds to responses:
 * - a public cacheable GET carries `Cache-Tag` with the tags of every entity it read (comma-separated, each
 *   URI-encoded), so a CDN can purge it by the same tags the router invalidates;
 * - in development, `extensions.entityCache` lists the entities answered from the cache (`hits`) and how many were
 *   fetched (`misses`).
 */
export function entityCachePlugin(cache: EntityCache, options: { development: boolean }): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, request, overallCachePolicy }) {
          const report = cache.reportOf(contextValue);
          if (!report) return;
          const policy = overallCachePolicy.policyIfCacheable();
          if (request.http?.method === 'GET' && policy?.scope !== 'PRIVATE' && policy && report.tags.size > 0) {
            // The router's own missing-key tags (`Product!sku`) are not for a CDN: it purges by what subgraphs declare.
            const tags = [...report.tags].filter((tag) => !isMissingKeyTag(tag));
            if (tags.length > 0) response.http.headers.set('cache-tag', tags.map(encodeURIComponent).join(','));
          }
          if (options.development && response.body.kind === 'single') {
            const result = response.body.singleResult;
            result.extensions = { ...result.extensions, entityCache: { hits: report.hits, misses: report.misses } };
          }
        },
      };
    },
  };
}
