import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildManifest, documentId, type Router, TrustedDocuments } from '../../router';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { type Stack, startStack } from '../helpers/stack';

const PRODUCT_PAGE = 'query ProductPage($id: ID!) {\n  product(id: $id) { name price { amount currency } }\n}';
const STOCK = 'query Stock($id: ID!) {\n  product(id: $id) { name stock }\n}';
const MOBILE_ONLY = 'query Categories {\n  categories { name }\n}';

describe('trusted documents and cacheable GETs', () => {
  let stack: Stack;
  let dir: string;
  const web = { 'apollographql-client-name': 'web', 'apollographql-client-version': '1.0.0' };
  const mobile = { 'apollographql-client-name': 'ios', 'apollographql-client-version': '2.3.0' };
  const persisted = (body: string) => ({ persistedQuery: { version: 1, sha256Hash: documentId(body) } });

  beforeAll(async () => {
    stack = await startStack('trusted');
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Saw', priceCents: 1250, stock: 3, categoryId: 1 }]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trusted-'));
    const webList = buildManifest({ name: 'web', version: '1.0.0' }, [{ file: 'web.graphql', text: `${PRODUCT_PAGE}\n\n${STOCK}` }]);
    const iosList = buildManifest({ name: 'ios', version: '2.3.0' }, [{ file: 'ios.graphql', text: MOBILE_ONLY }]);
    fs.writeFileSync(path.join(dir, 'web@1.0.0.json'), JSON.stringify(webList));
    fs.writeFileSync(path.join(dir, 'ios@2.3.0.json'), JSON.stringify(iosList));
  });
  afterAll(async () => {
    await stack.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function withRouter(mode: 'allow' | 'enforce', run: (url: string, router: Router) => Promise<void>) {
    const { router, url } = await stack.startRouter({ trustedDocuments: { mode, dir } });
    try {
      await run(url, router);
    } finally {
      await router.stop();
    }
  }

  const post = async (url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(payload),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  const get = async (url: string, params: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const search = new URLSearchParams(
      Object.entries(params).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
    );
    const response = await fetch(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  const codes = (body: any) => (body.errors ?? []).map((error: any) => error.extensions?.code);

  it('enforce: a client runs the documents of its own list by id, and nothing else reaches a subgraph', async () => {
    await withRouter('enforce', async (url, router) => {
      const ok = await post(url, { extensions: persisted(PRODUCT_PAGE), variables: { id: '1' } }, web);
      expect(ok.body).toMatchObject({ data: { product: { name: 'Saw', price: { amount: '12.50', currency: 'USD' } } } });
      expect(ok.body.errors).toBeUndefined();
      // The same body sent in full is the same trusted document.
      expect((await post(url, { query: PRODUCT_PAGE, variables: { id: '1' } }, web)).body.data.product.name).toBe('Saw');

      const before = router.stats.subgraphRequests;
      const otherClient = await post(url, { extensions: persisted(PRODUCT_PAGE), variables: { id: '1' } }, mobile);
      expect(codes(otherClient.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      const freeForm = await post(url, { query: '{ product(id: "1") { name description } }' }, web);
      expect(codes(freeForm.body)).toEqual(['PERSISTED_QUERY_REQUIRED']);
      const anonymousClient = await post(url, { extensions: persisted(PRODUCT_PAGE), variables: { id: '1' } });
      expect(codes(anonymousClient.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      // APQ registration (document and its hash) cannot sneak a new document in.
      const sneaky = '{ product(id: "1") { sku } }';
      const registration = await post(url, { query: sneaky, extensions: persisted(sneaky) }, web);
      expect(codes(registration.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(router.stats.subgraphRequests).toBe(before);
      // The mobile client's own list works for it.
      expect((await post(url, { extensions: persisted(MOBILE_ONLY) }, mobile)).body.data.categories).toEqual([{ name: 'Tools' }]);
    });
  });

  it('allow: listed ids resolve for anyone, other documents still run, unknown ids fall back to APQ', async () => {
    await withRouter('allow', async (url) => {
      expect((await post(url, { extensions: persisted(STOCK), variables: { id: '1' } })).body.data.product).toEqual({
        name: 'Saw',
        stock: 3,
      });
      expect((await post(url, { query: '{ product(id: "1") { sku } }' })).body.errors).toBeUndefined();
      const unknown = '{ product(id: "1") { description } }';
      expect(codes((await post(url, { extensions: persisted(unknown) })).body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      // APQ: the client sends the document once with its hash, then the hash alone works.
      expect((await post(url, { query: unknown, extensions: persisted(unknown) })).body.errors).toBeUndefined();
      expect((await post(url, { extensions: persisted(unknown) })).body.data.product).toEqual({ description: expect.any(String) });
    });
  });

  it('GETs of persisted queries carry Cache-Control from the cache hints: public for anonymous callers, private when signed in', async () => {
    await withRouter('enforce', async (url) => {
      const anonymous = await get(url, { operationName: 'ProductPage', variables: { id: '1' }, extensions: persisted(PRODUCT_PAGE) }, web);
      expect(anonymous.body.data.product.name).toBe('Saw');
      expect(anonymous.headers.get('cache-control')).toBe('max-age=60, public');
      // Stock is hinted 10 s: the shortest hint in the response wins.
      const stock = await get(url, { operationName: 'Stock', variables: { id: '1' }, extensions: persisted(STOCK) }, web);
      expect(stock.headers.get('cache-control')).toBe('max-age=10, public');
      const signedIn = await get(
        url,
        { operationName: 'ProductPage', variables: { id: '1' }, extensions: persisted(PRODUCT_PAGE) },
        { ...web, authorization: `Bearer ${await stack.token('7')}` },
      );
      expect(signedIn.headers.get('cache-control')).toBe('max-age=60, private');
      expect(signedIn.headers.get('vary')).toMatch(/authorization/i);
      const refused = await get(url, { query: '{ product(id: "1") { name } }' }, web);
      expect(codes(refused.body)).toEqual(['PERSISTED_QUERY_REQUIRED']);
      expect(refused.headers.get('cache-control') ?? 'no-store').not.toMatch(/public/);
    });
  });

  it('refuses to start on a list whose ids are not the hashes of their documents', () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'trusted-bad-'));
    const list = buildManifest({ name: 'web', version: '9' }, [{ file: 'x.graphql', text: PRODUCT_PAGE }]);
    list.operations[0].body += ' # edited after hashing';
    fs.writeFileSync(path.join(bad, 'web@9.json'), JSON.stringify(list));
    expect(() => TrustedDocuments.load('enforce', bad)).toThrow(/web@9\.json: operation ProductPage: id must be the SHA-256/);
    expect(() => TrustedDocuments.load('enforce', path.join(bad, 'missing'))).toThrow(/PERSISTED_QUERIES=enforce needs lists/);
    fs.rmSync(bad, { recursive: true, force: true });
  });

  it('builds lists with fragments included and unnamed operations refused', () => {
    const text = 'fragment P on Product { name }\nquery A { product(id: "1") { ...P } }\nquery B { product(id: "2") { ...P } }';
    const list = buildManifest({ name: 'web', version: '2' }, [{ file: 'ops.graphql', text }]);
    expect(list.operations.map((operation) => operation.name)).toEqual(['A', 'B']);
    for (const operation of list.operations) {
      expect(operation.body).toContain('fragment P on Product');
      expect(operation.id).toBe(documentId(operation.body));
    }
    expect(() => buildManifest({ name: 'web', version: '2' }, [{ file: 'x.graphql', text: '{ product(id: "1") { name } }' }])).toThrow(
      /needs a name/,
    );
  });
});
