import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { createRouter, type Router, readRouterConfig } from '../../router';
import { createLogger, ROUTER_CREDENTIAL_HEADER } from '../../shared';
import { Address } from '../../subgraphs/account/entities/Address';
import { Order } from '../../subgraphs/order/entities/Order';
import { OrderItem } from '../../subgraphs/order/entities/OrderItem';
import { Product } from '../../subgraphs/product/entities/Product';
import { StockReservation } from '../../subgraphs/product/entities/StockReservation';
import { insertCategory, insertOrders, insertProducts, insertUsers } from '../helpers/fixtures';
import { readJson } from '../helpers/http';
import { type Stack, startStack } from '../helpers/stack';

const secret = new TextEncoder().encode('dev-only-jwt-secret-do-not-use-in-production');
const now = () => Math.floor(Date.now() / 1000);

/** A token like the development one, with any claim or header overridden. */
function token(claims: Record<string, unknown> = {}, key: Uint8Array = secret, alg = 'HS256'): Promise<string> {
  return new SignJWT({ scope: '', ...claims })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setSubject(String(claims.sub ?? '7'))
    .setIssuer(String(claims.iss ?? 'supergraph-dev'))
    .setAudience(String(claims.aud ?? 'supergraph'))
    .setIssuedAt()
    .setExpirationTime(Number(claims.exp ?? now() + 600))
    .sign(key);
}

/** `alg: none`: a header and claims with an empty signature. */
function unsignedToken(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: '7', iss: 'supergraph-dev', aud: 'supergraph', exp: now() + 600 })}.`;
}

describe('identity and access', () => {
  let stack: Stack;

  /** Everything a refused request could have changed, in all three databases. */
  async function snapshot() {
    const { account, product, order } = stack.databases;
    const products = await product.dataSource.getRepository(Product).find({ order: { id: 'ASC' } });
    return {
      products: products.map((p) => [p.id, p.name, p.priceCents, p.stock]),
      reservations: await product.dataSource.getRepository(StockReservation).count(),
      orders: await order.dataSource.getRepository(Order).count(),
      items: await order.dataSource.getRepository(OrderItem).count(),
      addresses: await account.dataSource.getRepository(Address).count(),
    };
  }

  beforeAll(async () => {
    stack = await startStack('identity');
    await insertUsers(stack.databases.account.dataSource, [
      { id: 7, name: 'Grace', email: 'grace@example.test' },
      { id: 8, name: 'Heidi', email: 'heidi@example.test' },
    ]);
    await stack.databases.account.dataSource
      .getRepository(Address)
      .insert({ userId: 7, label: 'Home', line1: '1 Main St', line2: '', city: 'Springfield', postalCode: '12345', country: 'US' });
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Hammer', priceCents: 1999, stock: 10, categoryId: 1 }]);
    await insertOrders(stack.databases.order.dataSource, {
      firstOrderId: 1,
      userId: 7,
      count: 1,
      itemsPerOrder: 1,
      productIds: [1],
      unitPriceCents: () => 1999,
    });
    await insertOrders(stack.databases.order.dataSource, {
      firstOrderId: 2,
      userId: 8,
      count: 1,
      itemsPerOrder: 1,
      productIds: [1],
      unitPriceCents: () => 1999,
    });
  });
  afterAll(() => stack.stop());

  describe('bearer tokens', () => {
    const cases: [string, () => Promise<string> | string][] = [
      ['an expired token', () => token({ exp: now() - 60 })],
      [
        'a token that is not valid yet',
        async () =>
          new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('7')
            .setIssuer('supergraph-dev')
            .setAudience('supergraph')
            .setNotBefore(now() + 600)
            .setExpirationTime(now() + 1200)
            .sign(secret),
      ],
      ['a wrong signature', () => token({}, new TextEncoder().encode('another-secret-of-a-good-length-0123456789'))],
      ['a wrong issuer', () => token({ iss: 'someone-else' })],
      ['a wrong audience', () => token({ aud: 'another-api' })],
      ['alg: none', () => unsignedToken()],
      ['a token without a user', () => token({ sub: 'admin' })],
      ['garbage', () => 'not-a-jwt'],
    ];

    it.each(cases)('refuses %s with 401 UNAUTHENTICATED before anything executes', async (_label, make) => {
      const before = await snapshot();
      const { status, headers, body } = await stack.graphql(
        'mutation { placeOrder(input: { items: [{ productId: "1", quantity: 1 }] }) { id } }',
        { headers: { authorization: `Bearer ${await make()}` } },
      );
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toContain('Bearer');
      expect(body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(body.data).toBeUndefined();
      expect(await snapshot()).toEqual(before);
    });

    it('treats a request without a token as anonymous: public data answered, protected fields null with UNAUTHENTICATED at their path', async () => {
      const { status, body } = await stack.graphql(
        '{ user(id: "7") { name email orders { edges { node { id } } } } product(id: "1") { name } }',
      );
      expect(status).toBe(200);
      expect(body.data).toEqual({ user: { name: 'Grace', email: null, orders: null }, product: { name: 'Hammer' } });
      expect(body.errors?.map((error) => [error.path, error.extensions?.code]).sort()).toEqual([
        [['user', 'email'], 'UNAUTHENTICATED'],
        [['user', 'orders'], 'UNAUTHENTICATED'],
      ]);
    });

    it('keeps the router from asking any subgraph for a field the caller may not read', async () => {
      const before = stack.statementCounts();
      const { body } = await stack.graphql('{ user(id: "7") { orders { edges { node { id } } } } }');
      expect(body.data).toEqual({ user: { orders: null } });
      // The order subgraph was not called at all: its database saw nothing.
      expect(stack.statementCounts().order).toBe(before.order);
    });
  });

  describe('identity reaches subgraphs only from the router', () => {
    it('ignores identity headers a client forges', async () => {
      const anonymous = await stack.graphql('{ me { id } }', {
        headers: { 'x-user-id': '8', 'x-user-scopes': 'catalog:write orders:read' },
      });
      expect(anonymous.body).toEqual({ data: { me: null } });
      const signedIn = await stack.graphql('{ me { id } }', { as: '7', headers: { 'x-user-id': '8' } });
      expect(signedIn.body).toEqual({ data: { me: { id: '7' } } });
    });

    it.each([
      ['no credential', {}],
      ['a wrong credential', { [ROUTER_CREDENTIAL_HEADER]: 'guess' }],
    ])('has subgraphs refuse a direct call with %s: 401, _entities and _service unreachable', async (_label, headers) => {
      const before = await snapshot();
      for (const query of [
        '{ _service { sdl } }',
        '{ _entities(representations: [{ __typename: "User", id: "8" }]) { ... on User { email } } }',
      ]) {
        const response = await fetch(stack.subgraphUrls.account, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-user-id': '8', ...headers },
          body: JSON.stringify({ query }),
        });
        expect(response.status).toBe(401);
        expect((await readJson(response)).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      }
      expect(await snapshot()).toEqual(before);
    });

    it('lets the composition tooling in with the credential', async () => {
      const response = await fetch(stack.subgraphUrls.product, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [ROUTER_CREDENTIAL_HEADER]: 'dev-only-subgraph-secret-product' },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
      });
      expect(response.status).toBe(200);
      expect((await readJson(response)).data._service.sdl).toContain('type Product');
    });
  });

  describe('ownership', () => {
    it("answers another user's order exactly as an order that does not exist", async () => {
      const query = 'query($id: ID!) { order(id: $id) { id total { amount } } }';
      const others = await stack.graphql(query, { as: '7', variables: { id: '2' } });
      const missing = await stack.graphql(query, { as: '7', variables: { id: '999' } });
      expect(others.body).toEqual({ data: { order: null } });
      expect(others).toEqual({ ...missing, headers: others.headers });
      const own = await stack.graphql(query, { as: '7', variables: { id: '1' } });
      expect(own.body.data.order.id).toBe('1');
    });

    it("refuses another user's orders, email and addresses with FORBIDDEN, and shows a user their own", async () => {
      const query = 'query($id: ID!) { user(id: $id) { name email addresses { city } orders { edges { node { id } } } } }';
      const other = await stack.graphql(query, { as: '8', variables: { id: '7' } });
      expect(other.body.data).toEqual({ user: { name: 'Grace', email: null, addresses: null, orders: null } });
      expect(other.body.errors?.map((error) => [error.path?.join('.'), error.extensions?.code]).sort()).toEqual([
        ['user.addresses', 'FORBIDDEN'],
        ['user.email', 'FORBIDDEN'],
        ['user.orders', 'FORBIDDEN'],
      ]);
      const self = await stack.graphql(query, { as: '7', variables: { id: '7' } });
      expect(self.body).toEqual({
        data: {
          user: {
            name: 'Grace',
            email: 'grace@example.test',
            addresses: [{ city: 'Springfield' }],
            orders: { edges: [{ node: { id: '1' } }] },
          },
        },
      });
    });

    it('lets support staff with orders:read read any order', async () => {
      const { body } = await stack.graphql('{ order(id: "2") { id customer { id } } }', { as: '7', scopes: ['orders:read'] });
      expect(body.data).toEqual({ order: { id: '2', customer: { id: '8' } } });
    });

    it('always places an order for the signed-in user, whatever headers say', async () => {
      const { body } = await stack.graphql(
        'mutation { placeOrder(input: { items: [{ productId: "1", quantity: 1 }] }) { id customer { id } } }',
        {
          as: '7',
          headers: { 'x-user-id': '8' },
        },
      );
      expect(body.data.placeOrder.customer).toEqual({ id: '7' });
      const stored = await stack.databases.order.dataSource.getRepository(Order).findOneByOrFail({ id: Number(body.data.placeOrder.id) });
      expect(stored.userId).toBe(7);
    });

    it('refuses placeOrder without a signed-in user, writing nothing', async () => {
      const before = await snapshot();
      const { body } = await stack.graphql('mutation { placeOrder(input: { items: [{ productId: "1", quantity: 1 }] }) { id } }');
      expect(body.data).toBeNull();
      expect(body.errors?.[0]).toMatchObject({ path: ['placeOrder'], extensions: { code: 'UNAUTHENTICATED' } });
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('catalog writes need catalog:write', () => {
    const reprice = 'mutation { updateProduct(id: "1", input: { price: { amount: "1.00", currency: "USD" } }) { price { amount } } }';
    const restock = 'mutation { adjustStock(productId: "1", delta: -5) { stock } }';
    const create =
      'mutation { createProduct(input: { sku: "NEW-1", name: "New", price: { amount: "2.50", currency: "USD" }, categoryId: "1" }) { id sku price { amount } stock } }';

    it.each([
      ['anonymous', undefined, 'UNAUTHENTICATED'],
      ['signed in without the scope', '7', 'FORBIDDEN'],
    ])('refuses product writes for %s, and changes nothing', async (_label, as, code) => {
      const before = await snapshot();
      for (const mutation of [reprice, restock, create]) {
        const { status, body } = await stack.graphql(mutation, { as, scopes: ['orders:read'] });
        expect(status).toBe(200);
        expect(body.data).toBeNull();
        expect(body.errors?.[0].extensions?.code).toBe(code);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('lets a caller with catalog:write create, reprice and restock', async () => {
      const scopes = ['catalog:write'];
      expect((await stack.graphql(create, { as: '7', scopes })).body.data.createProduct).toMatchObject({
        sku: 'NEW-1',
        price: { amount: '2.50' },
        stock: 0,
      });
      expect((await stack.graphql(reprice, { as: '7', scopes })).body.data.updateProduct).toEqual({ price: { amount: '1.00' } });
      const stock = (await stack.databases.product.dataSource.getRepository(Product).findOneByOrFail({ id: 1 })).stock;
      expect((await stack.graphql(restock, { as: '7', scopes })).body.data.adjustStock).toEqual({ stock: stock - 5 });
      const tooMany = await stack.graphql('mutation { adjustStock(productId: "1", delta: -100000) { stock } }', { as: '7', scopes });
      expect(tooMany.body.errors?.[0].extensions?.code).toBe('INSUFFICIENT_STOCK');
      const duplicate = await stack.graphql(create, { as: '7', scopes });
      expect(duplicate.body.errors?.[0].extensions?.code).toBe('SKU_ALREADY_EXISTS');
    });
  });

  describe('HTTP-level refusals change nothing', () => {
    it.each([
      [
        'a mutation over GET',
        async () =>
          fetch(`${stack.routerUrl}?query=${encodeURIComponent('mutation { adjustStock(productId: "1", delta: 1) { stock } }')}`, {
            headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${await stack.token('7', ['catalog:write'])}` },
          }),
        405,
      ],
      [
        'a simple-content-type POST (CSRF)',
        async () =>
          fetch(stack.routerUrl, {
            method: 'POST',
            headers: { 'content-type': 'text/plain', authorization: `Bearer ${await stack.token('7', ['catalog:write'])}` },
            body: JSON.stringify({ query: 'mutation { adjustStock(productId: "1", delta: 1) { stock } }' }),
          }),
        400,
      ],
      [
        'malformed JSON',
        async () =>
          fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "mutation {' }),
        400,
      ],
      [
        'variables that are not an object',
        async () =>
          fetch(stack.routerUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: 'query($id: ID!) { user(id: $id) { id } }', variables: '7' }),
          }),
        400,
      ],
      [
        'an oversized body',
        async () =>
          fetch(stack.routerUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `{ me { id } } #${'x'.repeat(2 * 1024 * 1024)}` }),
          }),
        413,
      ],
    ])('answers %s with %s', async (_label, send, expected) => {
      const before = await snapshot();
      const response = await send();
      expect(response.status).toBe(expected);
      expect(await snapshot()).toEqual(before);
    });
  });
});

describe('identity and access in production mode', () => {
  let stack: Stack;
  const strong = (name: string) => `production-strength-secret-for-${name}-0123456789`;

  beforeAll(async () => {
    stack = await startStack(
      'identityprod',
      {
        production: true,
        corsOrigins: ['https://shop.example'],
        auth: { ...readRouterConfig({ NODE_ENV: 'test' }).auth, secret: 'a-production-jwt-secret-0123456789abcdef' },
      },
      strong,
    );
  });
  afterAll(() => stack.stop());

  it('refuses introspection', async () => {
    const { body } = await stack.graphql('{ __schema { types { name } } }');
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.data).toBeUndefined();
  });

  it('hides field suggestions', async () => {
    const { body } = await stack.graphql('{ prodcts { edges { cursor } } }');
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0].message).not.toMatch(/Did you mean/);
    expect(JSON.stringify(body)).not.toContain('products');
  });

  it('shows no stack traces and no internal detail of a failing subgraph', async () => {
    await stack.subgraphs.order.stop();
    const { body } = await stack.graphql('{ order(id: "1") { id } }', {
      headers: {
        authorization: `Bearer ${await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('7')
          .setIssuer('supergraph-dev')
          .setAudience('supergraph')
          .setExpirationTime(now() + 60)
          .sign(new TextEncoder().encode('a-production-jwt-secret-0123456789abcdef'))}`,
      },
    });
    const text = JSON.stringify(body);
    expect(body.errors?.length).toBeGreaterThan(0);
    expect(text).not.toContain('stacktrace');
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain('"response"');
  });

  it('shows a plain landing page, no explorer, and CORS only for listed origins', async () => {
    const page = await fetch(stack.routerUrl, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(html).toContain('<h1>GraphQL API</h1>');
    expect(html).not.toContain('embeddable-sandbox');
    expect(html).not.toContain('<script');
    expect((await fetch(stack.routerUrl.replace('/graphql', '/explorer/graphiql.js'))).status).toBe(404);
    const allowed = await fetch(stack.routerUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const other = await fetch(stack.routerUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('tokens from a JWKS (RS256)', () => {
  let router: Router;
  let routerUrl: string;
  let jwks: http.Server;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;

  beforeAll(async () => {
    keys = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    jwks = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const config = readRouterConfig({
      NODE_ENV: 'test',
      JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
    });
    router = await createRouter({
      config: { ...config, port: 0, adminPort: 0, usage: { ...config.usage, enabled: false } },
      logger: createLogger('test', 'silent'),
    });
    routerUrl = `http://127.0.0.1:${(await router.listen()).port}/graphql`;
  });
  afterAll(async () => {
    await router.stop();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const ask = (bearer: string) =>
    fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });

  it('accepts an RS256 token signed by a key of the JWKS', async () => {
    const signed = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setSubject('7')
      .setIssuer('supergraph-dev')
      .setAudience('supergraph')
      .setExpirationTime(now() + 60)
      .sign(keys.privateKey);
    expect((await ask(signed)).status).toBe(200);
  });

  it('refuses an HS256 token signed with the RS256 public key (algorithm confusion)', async () => {
    const publicPem = new TextEncoder().encode(await exportSPKI(keys.publicKey));
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
      .setSubject('7')
      .setIssuer('supergraph-dev')
      .setAudience('supergraph')
      .setExpirationTime(now() + 60)
      .sign(publicPem);
    const response = await ask(forged);
    expect(response.status).toBe(401);
    expect((await readJson(response)).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed by a key the JWKS does not have', async () => {
    const stranger = await generateKeyPair('RS256');
    const signed = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'key-2' })
      .setSubject('7')
      .setIssuer('supergraph-dev')
      .setAudience('supergraph')
      .setExpirationTime(now() + 60)
      .sign(stranger.privateKey);
    expect((await ask(signed)).status).toBe(401);
  });
});
