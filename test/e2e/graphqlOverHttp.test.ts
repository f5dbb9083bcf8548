import { readJson } from '../helpers/http';
import { type Stack, startStack } from '../helpers/stack';

const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';

describe('the router speaks GraphQL over HTTP', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack('http', { maxBodyBytes: 4096 });
  });
  afterAll(() => stack.stop());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  describe.each([
    ['application/json', 'application/json', 200],
    [GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON, 400],
  ])('with Accept: %s', (accept, contentType, requestErrorStatus) => {
    it.each([
      ['a document that does not parse', '{ products {', 'GRAPHQL_PARSE_FAILED'],
      ['a document that does not validate', '{ nope }', 'GRAPHQL_VALIDATION_FAILED'],
    ])(`answers ${requestErrorStatus} for %s`, async (_label, query, code) => {
      const response = await post(JSON.stringify({ query }), { accept });
      expect(response.status).toBe(requestErrorStatus);
      expect(response.headers.get('content-type')).toContain(contentType);
      const body = await readJson(response);
      expect(body.data).toBeUndefined();
      expect(body.errors[0].extensions.code).toBe(code);
    });

    it(`answers ${requestErrorStatus} when variables do not fit their types`, async () => {
      const response = await post(JSON.stringify({ query: 'query($id: ID!) { user(id: $id) { id } }', variables: { id: { no: 1 } } }), {
        accept,
      });
      expect(response.status).toBe(requestErrorStatus);
      expect((await readJson(response)).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    });

    it('answers 200 with data and errors side by side when a field fails', async () => {
      const response = await post(JSON.stringify({ query: '{ products(first: 1, filter: { search: "  " }) { edges { cursor } } }' }), {
        accept,
      });
      expect(response.status).toBe(200);
      const body = await readJson(response);
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0].path).toEqual(['products']);
      expect('data' in body).toBe(true);
    });
  });

  it('answers 400 BAD_REQUEST to a body that is not JSON, whatever the Accept header', async () => {
    const response = await post('{"query": ', { accept: 'application/json' });
    expect(response.status).toBe(400);
    expect((await readJson(response)).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('answers 400 when variables are not an object', async () => {
    const response = await post(JSON.stringify({ query: '{ me { id } }', variables: [1, 2] }));
    expect(response.status).toBe(400);
  });

  it('answers 413 PAYLOAD_TOO_LARGE to a body above the limit without reading it all', async () => {
    const response = await post(JSON.stringify({ query: `{ me { id } } # ${'x'.repeat(5000)}` }));
    expect(response.status).toBe(413);
    expect((await readJson(response)).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('runs a query sent with GET (with a preflight-forcing header, as CSRF prevention asks)', async () => {
    const url = `${stack.routerUrl}?query=${encodeURIComponent('{ products(first: 1) { pageInfo { hasNextPage } } }')}`;
    const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(200);
    expect((await readJson(response)).data).toEqual({ products: { pageInfo: { hasNextPage: false } } });
  });

  it('refuses a GET without a preflight-forcing header (CSRF prevention)', async () => {
    const url = `${stack.routerUrl}?query=${encodeURIComponent('{ me { id } }')}`;
    const response = await fetch(url);
    expect(response.status).toBe(400);
  });

  it('refuses a mutation sent with GET: 405 with Allow: POST', async () => {
    const query = 'mutation { placeOrder(input: { items: [{ productId: "1", quantity: 1 }] }) { id } }';
    const response = await fetch(`${stack.routerUrl}?query=${encodeURIComponent(query)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('refuses a POST with a simple content type (a cross-site form cannot run operations)', async () => {
    const response = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"{ me { id } }"}',
    });
    expect(response.status).toBe(400);
  });

  describe('the explorer a browser gets in development', () => {
    const page = () => fetch(stack.routerUrl, { headers: { accept: 'text/html' } });

    it('is GraphiQL served by the router, under a Content-Security-Policy that names no other origin', async () => {
      const response = await page();
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      // Only keywords and schemes: no host, so nothing outside the router may be loaded or called.
      const sources = csp.split(';').flatMap((directive) => directive.trim().split(/\s+/).slice(1));
      expect(sources.filter((source) => !/^'[a-z-]+'$/.test(source) && source !== 'data:')).toEqual([]);
      const html = await response.text();
      const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((match) => match[1]);
      // Every script is the router's own file or a JSON data block, never inline code.
      expect(scripts.every((attributes) => /src="\/explorer\//.test(attributes) || /type="application\/json"/.test(attributes))).toBe(true);
      expect(html).not.toContain('embeddable-sandbox');
      // For those online: a link to Sandbox (a link to follow, nothing loaded from there).
      expect(html).toContain('Open this endpoint in Apollo Sandbox');
      expect(html).toContain('npm run token -- --user 1');
      expect(html).toContain('apollographql-client-name');
    });

    it.each([
      ['graphiql.js', 'text/javascript', 'renderYogaGraphiQL'],
      ['graphiql.css', 'text/css', '.graphiql-container'],
      ['editor.worker.js', 'text/javascript', ''],
      ['json.worker.js', 'text/javascript', ''],
      ['graphql.worker.js', 'text/javascript', ''],
    ])('serves its file %s from the router itself', async (file, contentType, marker) => {
      const response = await fetch(stack.routerUrl.replace('/graphql', `/explorer/${file}`), { headers: { 'accept-encoding': 'gzip' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(contentType);
      const text = await response.text();
      expect(text.length).toBeGreaterThan(1000);
      expect(text).toContain(marker);
    });

    it('leaves GET with a query to GraphQL', async () => {
      const url = `${stack.routerUrl}?query=${encodeURIComponent('{ products(first: 1) { pageInfo { hasNextPage } } }')}`;
      const response = await fetch(url, { headers: { accept: 'text/html, application/json', 'apollo-require-preflight': 'true' } });
      expect(response.status).toBe(200);
      expect((await readJson(response)).data.products.pageInfo.hasNextPage).toBe(false);
    });

    it('is Apollo Sandbox with EXPLORER=sandbox', async () => {
      const sandbox = await stack.startRouter({ explorer: 'sandbox' });
      try {
        const response = await fetch(sandbox.url, { headers: { accept: 'text/html' } });
        expect(response.status).toBe(200);
        expect(await response.text()).toContain('embeddable-sandbox');
        expect((await fetch(sandbox.url.replace('/graphql', '/explorer/graphiql.js'))).status).toBe(404);
      } finally {
        await sandbox.router.stop();
      }
    });
  });

  it('answers a CORS preflight so that Sandbox, on its own origin, can call it', async () => {
    const response = await fetch(stack.routerUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://sandbox.embed.apollographql.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://sandbox.embed.apollographql.com');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  it('lets a browser client on another origin read Retry-After', async () => {
    const response = await post(JSON.stringify({ query: '{ products(first: 1) { pageInfo { hasNextPage } } }' }), {
      origin: 'http://localhost:5173',
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-expose-headers')).toContain('retry-after');
  });

  it('keeps health on the admin port only', async () => {
    expect((await fetch(`${stack.adminUrl}/health/ready`)).status).toBe(200);
    expect((await fetch(`${stack.adminUrl}/health/live`)).status).toBe(200);
    expect((await fetch(stack.routerUrl.replace('/graphql', '/health/ready'))).status).toBe(404);
  });
});
