import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { FetcherRequestInit } from '@apollo/utils.fetcher';
import { Headers } from 'node-fetch';
import { sendingWithoutRequestObject } from '../../router/gateway/fastPaths/sendRequest';

type Send = (this: unknown, request: unknown, context: unknown) => Promise<unknown>;

// Nothing in this file installs the router's fast paths: the prototype still has the gateway's own sendRequest.
const prototype = RemoteGraphQLDataSource.prototype as unknown as { sendRequest: Send };
const original = prototype.sendRequest;
const fast = sendingWithoutRequestObject(original as never, prototype as never) as unknown as Send;

/** What a subgraph answers in each case: status, content type, body (a function: the fetcher throws). */
const CASES: Record<string, { status: number; type: string; body: string } | (() => never)> = {
  data: { status: 200, type: 'application/json', body: '{"data":{"user":{"id":"1"}}}' },
  'GraphQL errors': { status: 200, type: 'application/json', body: '{"data":null,"errors":[{"message":"no","extensions":{"code":"X"}}]}' },
  'graphql-response+json': { status: 200, type: 'application/graphql-response+json', body: '{"data":{"a":1}}' },
  'an array': { status: 200, type: 'application/json', body: '[1,2]' },
  'a string': { status: 200, type: 'application/json', body: '"text"' },
  'JSON null': { status: 200, type: 'application/json', body: 'null' },
  'plain text': { status: 200, type: 'text/plain', body: 'hello' },
  'invalid JSON': { status: 200, type: 'application/json', body: '{"data":' },
  '500 with errors': { status: 500, type: 'application/json', body: '{"errors":[{"message":"boom"}]}' },
  '401 text': { status: 401, type: 'text/plain', body: 'who are you' },
  '403 JSON': { status: 403, type: 'application/json', body: '{"errors":[{"message":"no"}]}' },
  'a refused connection': () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  },
};

/** A data source whose fetcher answers `answer` and records every init it was given. */
function dataSourceAnswering(answer: (typeof CASES)[string], Class = RemoteGraphQLDataSource) {
  const inits: FetcherRequestInit[] = [];
  const source = new Class({
    url: 'http://order.example/graphql',
    fetcher: async (url, init) => {
      inits.push({ ...init, url } as FetcherRequestInit);
      if (typeof answer === 'function') return answer();
      return new Response(answer.body, { status: answer.status, headers: { 'content-type': answer.type } });
    },
  });
  return { source, inits };
}

const request = () => ({
  query: 'query Q($id: ID!) { user(id: $id) { id } }',
  variables: { id: '1' },
  operationName: 'Q',
  http: {
    method: 'POST',
    url: 'http://order.example/graphql',
    headers: new Map([
      ['content-type', 'application/json'],
      ['x-user-id', '7'],
    ]),
  },
});

/** A settled call in comparable form: the value without its `http` (checked apart), or the error's fields. */
async function settle(send: Send, source: unknown): Promise<Record<string, unknown>> {
  try {
    const { http, ...rest } = (await send.call(source, request(), {})) as Record<string, unknown>;
    return { resolved: rest, http: http instanceof Response };
  } catch (error) {
    const { message, name, extensions, code } = error as Record<string, unknown>;
    return { rejected: { message, name, extensions: JSON.parse(JSON.stringify(extensions ?? null)), code } };
  }
}

describe('sendRequest fast path (issue 18): the same as the gateway’s own, without a node-fetch Request', () => {
  it.each(Object.keys(CASES))('answers %s as the gateway’s sendRequest does', async (name) => {
    const stock = dataSourceAnswering(CASES[name]);
    const ours = dataSourceAnswering(CASES[name]);
    const expected = await settle(original, stock.source);
    expect(await settle(fast, ours.source)).toEqual(expected);
    // The subgraph got the same request: URL, method, headers, body.
    expect(ours.inits).toEqual(stock.inits);
    expect(ours.inits).toHaveLength(1);
  });

  it('hands the fetcher the same headers when they are node-fetch’s, as the gateway builds them', async () => {
    const headers = new Headers({ 'Content-Type': 'application/json' });
    headers.set('X-User-Id', '7');
    headers.append('accept-language', 'en');
    headers.append('Accept-Language', 'fr;q=0.5');
    headers.set('x-user-scopes', 'orders:read');
    headers.delete('X-USER-SCOPES');
    const withHeaders = () => ({ ...request(), http: { ...request().http, headers } });
    const stock = dataSourceAnswering(CASES.data);
    const ours = dataSourceAnswering(CASES.data);
    await original.call(stock.source, withHeaders(), {});
    await fast.call(ours.source, withHeaders(), {});
    expect(ours.inits).toEqual(stock.inits);
    expect(ours.inits[0].headers).toEqual({ 'content-type': 'application/json', 'x-user-id': '7', 'accept-language': 'en, fr;q=0.5' });
  });

  it('answers a data source that overrides parseBody with the gateway’s own path (it may read the request object)', async () => {
    const seen: unknown[] = [];
    class ReadingRequests extends RemoteGraphQLDataSource {
      override parseBody(response: never, fetchRequest?: never, context?: never) {
        seen.push(fetchRequest);
        return super.parseBody(response, fetchRequest, context);
      }
    }
    const { source } = dataSourceAnswering(CASES.data as never, ReadingRequests);
    expect(await settle(fast, source)).toMatchObject({ resolved: { data: { user: { id: '1' } } } });
    // The gateway's path hands parseBody its node-fetch Request; the fast path would have handed undefined.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: 'http://order.example/graphql' });
  });
});
