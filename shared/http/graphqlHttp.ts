import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { ErrorCode, REQUEST_ERROR_CODES } from '../errorRegistry';
import { HttpError, readBody } from './http';

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  /** Builds the per-request context (loaders, identity). */
  context: (req: IncomingMessage) => Promise<TContext>;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Called with the size of every body read (for limits in measure mode). */
  onBodyBytes?: (bytes: number) => void;
  /** Accept a JSON array of operations. Default false: an array is refused with BATCHING_NOT_SUPPORTED. */
  batching?: boolean;
  /**
   * Looks at each operation before Apollo Server parses it. A returned GraphQLError refuses the request as a
   * GraphQL request error (the token limit counts here, since the parser cannot report its count); a
   * returned HttpError is sent as it is (an early 429 for an operation its client was just refused).
   */
  inspect?: (operation: RawOperation) => GraphQLError | HttpError | null;
  /**
   * Resolves persisted documents before anything else looks at the operation: `{ query }` replaces the
   * operation's document (and its `persistedQuery` extension is taken off), a GraphQLError refuses it, null
   * leaves it as it is.
   */
  resolveDocument?: (operation: { query?: unknown; extensions?: unknown }, headers: HeaderMap) => { query: string } | GraphQLError | null;
  /** Sees every request error answered here, before Apollo Server ran (`inspect` and `resolveDocument` refusals), for metrics. */
  onRequestError?: (error: GraphQLError) => void;
}

/** An operation as the request carries it, before any parsing. */
export interface RawOperation {
  query: string;
  operationName: unknown;
  variables: unknown;
}

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
    options.onBodyBytes?.(raw.length);
    body = parseBody(raw, headers.get('content-type'));
    if (Array.isArray(body) && !options.batching) {
      throw new HttpError(
        400,
        ErrorCode.BATCHING_NOT_SUPPORTED,
        'This API takes one operation per request: send the operations of a batch as separate requests.',
      );
    }
  }
  const refuse = (error: GraphQLError): void => {
    options.onRequestError?.(error);
    sendRequestError(res, headers.get('accept'), error);
  };
  let search = url.search;
  if (options.resolveDocument) {
    if (req.method === 'POST') {
      for (const operation of Array.isArray(body) ? body : [body]) {
        if (!operation || typeof operation !== 'object') continue;
        const resolved = options.resolveDocument(operation as { query?: unknown; extensions?: unknown }, headers);
        if (resolved instanceof Error) return refuse(resolved);
        if (resolved) replaceDocument(operation as Record<string, unknown>, resolved.query);
      }
    } else {
      const params = new URLSearchParams(url.search);
      let extensions: unknown;
      try {
        extensions = params.has('extensions') ? JSON.parse(params.get('extensions') ?? '') : undefined;
      } catch {
        throw new HttpError(400, ErrorCode.BAD_REQUEST, 'The extensions parameter is not valid JSON.');
      }
      const operation: Record<string, unknown> = { query: params.get('query') ?? undefined, extensions };
      const resolved = options.resolveDocument(operation, headers);
      if (resolved instanceof Error) return refuse(resolved);
      if (resolved) {
        replaceDocument(operation, resolved.query);
        params.set('query', resolved.query);
        if (operation.extensions === undefined) params.delete('extensions');
        else params.set('extensions', JSON.stringify(operation.extensions));
        search = `?${params}`;
      }
    }
  }
  if (options.inspect) {
    const searchParams = new URLSearchParams(search);
    const operations = Array.isArray(body)
      ? body
      : [
          req.method === 'POST'
            ? body
            : {
                query: searchParams.get('query'),
                operationName: searchParams.get('operationName'),
                variables: searchParams.get('variables'),
              },
        ];
    for (const operation of operations) {
      const { query, operationName, variables } = (operation ?? {}) as Partial<RawOperation>;
      const refused = typeof query === 'string' ? options.inspect({ query, operationName, variables }) : null;
      if (refused instanceof HttpError) throw refused;
      if (refused) {
        refuse(refused);
        return;
      }
    }
  }
  const response = await options.server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
    context: () => options.context(req),
  });
  await writeResponse(res, response);
}

/** Puts a persisted document in place of its id: the `persistedQuery` extension goes, the rest stays. */
function replaceDocument(operation: Record<string, unknown>, query: string): void {
  operation.query = query;
  const extensions = operation.extensions as Record<string, unknown> | undefined;
  if (extensions && typeof extensions === 'object') {
    const { persistedQuery: _persisted, ...rest } = extensions;
    if (Object.keys(rest).length > 0) operation.extensions = rest;
    else delete operation.extensions;
  }
}

/**
 * Answers a GraphQL request error that was found before Apollo Server ran, with the status the
 * GraphQL-over-HTTP spec wants for the media type the client accepts.
 */
function sendRequestError(res: ServerResponse, accept: string | undefined, error: GraphQLError): void {
  const graphqlResponse = accept?.includes('application/graphql-response+json') ?? false;
  const { http: _http, ...extensions } = error.extensions;
  const payload = JSON.stringify({ errors: [{ message: error.message, extensions }] });
  res.writeHead(graphqlResponse ? 400 : 200, {
    'content-type': graphqlResponse ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
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
