import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';

/** What a browser sees at `/graphql` in production: no Sandbox, no schema, no scripts. */
const PRODUCTION_LANDING_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GraphQL API</title></head>
<body><h1>GraphQL API</h1><p>Send GraphQL operations to this URL with POST and <code>content-type: application/json</code>.</p></body></html>
`;

export interface LandingPage {
  /** Apollo Server's landing page plugin: the embedded Sandbox in development, none in production. */
  plugin: ApolloServerPlugin;
  /** In production, answers a browser's GET without a query with the static page; true when it did. */
  serve(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
}

/**
 * What a browser gets at `/graphql`: the embedded Sandbox in development; in production no Sandbox and no
 * scripts from a CDN, but a static page of the router's own.
 */
export function landingPage(production: boolean): LandingPage {
  return {
    plugin: production
      ? ApolloServerPluginLandingPageDisabled()
      : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    serve(req, res, url) {
      if (!production || req.method !== 'GET' || url.searchParams.has('query') || !req.headers.accept?.includes('text/html')) return false;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=300' });
      res.end(PRODUCTION_LANDING_PAGE);
      return true;
    },
  };
}
