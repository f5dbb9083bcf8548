import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { ErrorCode } from '../errors';
import { HttpError, readBody } from './http';

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  /** Builds the per-request context (loaders, identity). */
  context: (req: IncomingMessage) => Promise<TContext>;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
}

/**
 * Error codes of GraphQL *request* errors: the request was well-formed HTTP but GraphQL refused the
 * document or its variables. Under `application/json` the GraphQL-over-HTTP spec wants 200 for these;
 * under `application/graphql-response+json`, 4xx (which is what Apollo Server sets).
 */
export const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * Serves one GraphQL-over-HTTP request with Apollo Server (an integration in the sense of Apollo's
 * "building integrations" guide): body limit, JSON parsing, then `executeHTTPGraphQLRequest`.
 */
export async function handleGraphQLRequest<TContext extends BaseContext>(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: GraphQLHttpOptions<TContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown;
  if (req.method === 'POST') {
    const raw = await readBody(req, options.maxBodyBytes);
    body = parseBody(raw, headers.get('content-type'));
  }
  const response = await options.server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: () => options.context(req),
  });
  await writeResponse(res, response);
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  // Only JSON is parsed; Apollo Server answers any other content type (and CSRF-prone simple ones) itself.
  if (contentType && /^application\/(?:[\w.+-]*\+)?json\b/i.test(contentType)) {
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, ErrorCode.BAD_REQUEST, 'The request body is not valid JSON.');
    }
  }
  return raw.toString('utf8');
}

async function writeResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  let status = response.status ?? 200;
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  if (response.body.kind === 'complete') {
    const text = response.body.string;
    if (status === 400 && headers['content-type']?.startsWith('application/json') && isRequestErrorOnly(text)) {
      status = 200;
    }
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(status, headers);
    res.end(text);
    return;
  }
  res.writeHead(status, headers);
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

function isRequestErrorOnly(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { data?: unknown; errors?: { extensions?: { code?: unknown } }[] };
    return (
      !('data' in parsed) &&
      Array.isArray(parsed.errors) &&
      parsed.errors.length > 0 &&
      parsed.errors.every((error) => REQUEST_ERROR_CODES.has(String(error.extensions?.code)))
    );
  } catch {
    return false;
  }
}
