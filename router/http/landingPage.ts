import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { Route } from '../../shared';

/**
 * What a browser sees at `/graphql`:
 * - `graphiql`: GraphiQL served by the router itself (no CDN: every script, style and worker comes from
 *   `@graphql-yoga/render-graphiql`'s prebuilt bundle in node_modules), with a Content-Security-Policy that
 *   names no other origin;
 * - `sandbox`: Apollo Sandbox, embedded from Apollo's CDN (needs the internet);
 * - `plain`: production's page, with no schema and no scripts.
 */
export type ExplorerKind = 'graphiql' | 'sandbox' | 'plain';

/** Where the explorer's files are served (exact paths: the router's HTTP server routes by path). */
const ASSET_PATH = '/explorer/';

/** What a browser sees in production: no explorer, no schema, no scripts. */
const PLAIN_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GraphQL API</title></head>
<body><h1>GraphQL API</h1><p>Send GraphQL operations to this URL with POST and <code>content-type: application/json</code>.</p></body></html>
`;

/**
 * The policy of the GraphiQL page: scripts and workers from the router only ('self', no inline script),
 * requests to the router only. Styles may be inline: the editor (Monaco) sets element styles at run time.
 */
export const EXPLORER_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The header editor's first text: JSON with comments (GraphiQL reads it as JSONC), so it runs as it is and
 * says how to sign in. The client name is the one the router's metrics, budgets and trusted documents key on.
 */
const DEFAULT_HEADERS = `{
  // Signed-in operations need a development token: run
  //   npm run token -- --user 1
  // and uncomment the next line with the token it prints.
  // "Authorization": "Bearer <token>",
  "apollographql-client-name": "explorer"
}`;

const DEFAULT_QUERY = `# The supergraph explorer, served by the router (works offline).
# Run with Ctrl-Enter; each result shows extensions.cost: what the operation cost and the budget left.
query Products {
  products(first: 5) {
    edges {
      node {
        id
        name
        price {
          amount
          currency
        }
        stock
      }
    }
  }
}
`;

/** The bundle's parts: the GraphiQL app (React, Monaco) as one script, its CSS, and Monaco's three workers. */
interface GraphiQLBundle {
  js: string;
  css: string;
  favicon: string;
  editorWorkerService: string;
  jsonWorker: string;
  graphqlWorker: string;
}

interface Asset {
  contentType: string;
  body: Buffer;
  gzipped: Buffer;
}

/** Runs before the bundle: tells Monaco where its workers are (the bundle would otherwise make blob: URLs). */
const ENVIRONMENT_SCRIPT = `self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (_moduleId, label) {
    return ${JSON.stringify(ASSET_PATH)} + { editorWorkerService: 'editor.worker.js', json: 'json.worker.js', graphql: 'graphql.worker.js' }[label];
  },
};
`;

/** Runs after the bundle: renders GraphiQL with the options the page carries, and points the Sandbox link at this endpoint. */
const RENDER_SCRIPT = `
(function () {
  var options = JSON.parse(document.getElementById('explorer-options').textContent);
  var endpoint = new URL(options.endpoint, location.href).toString();
  var sandbox = document.getElementById('open-in-sandbox');
  sandbox.href = 'https://studio.apollographql.com/sandbox/explorer?endpoint=' + encodeURIComponent(endpoint);
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
})();
`;

const PAGE_CSS = `
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; }
#root { flex: 1; min-height: 0; }
.explorer-bar { font: 13px system-ui, sans-serif; padding: 6px 12px; background: #f4f6f8; border-bottom: 1px solid #dde1e6; color: #333; }
.explorer-bar a { color: #0b5cad; }
`;

function asset(contentType: string, text: string): Asset {
  const body = Buffer.from(text);
  return { contentType, body, gzipped: gzipSync(body) };
}

function sendAsset(req: IncomingMessage, res: ServerResponse, file: Asset): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzipped : file.body;
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': body.length,
    // Revalidated on every load (the bundle changes with the dependency), then served from the cache.
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function escapeForScriptBlock(json: string): string {
  // Inside <script type="application/json">, only "</" could end the block early.
  return json.replace(/</g, '\\u003c');
}

/** The GraphiQL page itself: no inline script (the options travel as a JSON data block), links to Sandbox. */
function graphiqlPage(graphqlPath: string): string {
  const options = {
    endpoint: graphqlPath,
    title: 'Supergraph explorer',
    defaultQuery: DEFAULT_QUERY,
    headers: DEFAULT_HEADERS,
    // Tokens typed into the header editor stay in this tab: never written to localStorage.
    shouldPersistHeaders: false,
  };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Supergraph explorer</title>
<link rel="icon" href="${ASSET_PATH}favicon.ico">
<link rel="stylesheet" href="${ASSET_PATH}graphiql.css">
</head>
<body class="no-focus-outline">
<div class="explorer-bar">Supergraph explorer: GraphiQL served by this router, no internet needed. Online?
<a id="open-in-sandbox" href="https://studio.apollographql.com/sandbox/explorer" rel="noopener">Open this endpoint in Apollo Sandbox</a>
(it asks your browser to call this router from Apollo's site).</div>
<div id="root"></div>
<script type="application/json" id="explorer-options">${escapeForScriptBlock(JSON.stringify(options))}</script>
<script src="${ASSET_PATH}graphiql.js"></script>
</body>
</html>
`;
}

/** What a browser gets at `/graphql`, and the explorer's files, for one kind of explorer. */
export interface LandingPage {
  kind: ExplorerKind;
  /** Apollo Server's landing-page plugin: Sandbox's, or the disabled one when the router serves the page itself. */
  plugin: ApolloServerPlugin;
  /**
   * Answers a browser's GET of the GraphQL path when the router serves the page itself (`graphiql`, `plain`):
   * true when it did. A GET with `query`, or one that does not accept HTML, is GraphQL's.
   */
  serve(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** The explorer's files (`/explorer/…`), to add to the router's routes. */
  routes: Route[];
}

/**
 * Builds the explorer of `kind` for the endpoint at `graphqlPath`. The GraphiQL bundle (about 9 MB, 1.5 MB
 * gzipped) is read and compressed on the first request for it, so a router that never serves it pays nothing.
 */
export function landingPage(kind: ExplorerKind, graphqlPath = '/graphql'): LandingPage {
  let assets: Map<string, Asset> | null = null;
  const loadAssets = (): Map<string, Asset> => {
    if (assets) return assets;
    // Loaded here, not at the top: production never reads the 9 MB module.
    const bundle = require('@graphql-yoga/render-graphiql/graphiql') as GraphiQLBundle;
    const favicon = /^data:([^;]+);base64,(.*)$/.exec(bundle.favicon);
    assets = new Map<string, Asset>([
      ['graphiql.js', asset('text/javascript; charset=utf-8', `${ENVIRONMENT_SCRIPT};\n${bundle.js};\n${RENDER_SCRIPT}`)],
      ['graphiql.css', asset('text/css; charset=utf-8', `${bundle.css}\n${PAGE_CSS}`)],
      ['editor.worker.js', asset('text/javascript; charset=utf-8', bundle.editorWorkerService)],
      ['json.worker.js', asset('text/javascript; charset=utf-8', bundle.jsonWorker)],
      ['graphql.worker.js', asset('text/javascript; charset=utf-8', bundle.graphqlWorker)],
    ]);
    if (favicon) {
      const body = Buffer.from(favicon[2], 'base64');
      assets.set('favicon.ico', { contentType: favicon[1], body, gzipped: gzipSync(body) });
    }
    return assets;
  };
  const page =
    kind === 'graphiql' ? asset('text/html; charset=utf-8', graphiqlPage(graphqlPath)) : asset('text/html; charset=utf-8', PLAIN_PAGE);
  const files = ['graphiql.js', 'graphiql.css', 'editor.worker.js', 'json.worker.js', 'graphql.worker.js', 'favicon.ico'];
  return {
    kind,
    plugin:
      kind === 'sandbox'
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    serve(req, res, url) {
      if (kind === 'sandbox' || req.method !== 'GET' || url.searchParams.has('query') || !req.headers.accept?.includes('text/html')) {
        return false;
      }
      const headers: Record<string, string> =
        kind === 'graphiql'
          ? { 'content-security-policy': EXPLORER_CONTENT_SECURITY_POLICY, 'cache-control': 'no-cache' }
          : { 'cache-control': 'public, max-age=300' };
      res.writeHead(200, {
        ...headers,
        'content-type': page.contentType,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      res.end(page.body);
      return true;
    },
    routes:
      kind === 'graphiql'
        ? files.map((name) => ({
            path: `${ASSET_PATH}${name}`,
            handler: (req: IncomingMessage, res: ServerResponse) => {
              const file = loadAssets().get(name);
              if (!file) {
                res.writeHead(404);
                res.end();
                return;
              }
              sendAsset(req, res, file);
            },
          }))
        : [],
  };
}
