import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOWED_HEADERS = [
  'content-type',
  'accept',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
].join(', ');

export interface CorsPolicy {
  /** Allows the request's origin on the response when it is listed (or any origin is). */
  apply(req: IncomingMessage, res: ServerResponse): void;
  /** Answers a preflight (`OPTIONS`) with the methods and headers the GraphQL route takes. */
  answerPreflight(res: ServerResponse): void;
}

/** CORS for the public GraphQL route: the origins of `CORS_ORIGINS` (`*`: any, the development default). */
export function corsPolicy(origins: readonly string[]): CorsPolicy {
  const anyOrigin = origins.includes('*');
  return {
    apply(req, res) {
      const origin = req.headers.origin;
      if (!origin || !(anyOrigin || origins.includes(origin))) return;
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      // A browser client reads Retry-After (429 THROTTLED, 503 OVERLOADED) only when CORS exposes it.
      res.setHeader('access-control-expose-headers', 'retry-after');
    },
    answerPreflight(res) {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      res.end();
    },
  };
}
