import { createHash, randomBytes, randomInt } from 'node:crypto';
import Redis from 'ioredis';
import {
  type DemandControlConfig,
  type Router,
  readDemandControlConfig,
  readRouterConfig,
  signDevelopmentToken,
  TrustedProxies,
} from '../../router';
import { insertCategory, insertOrders, insertProducts, insertUsers } from '../helpers/fixtures';
import { readJson } from '../helpers/http';
import { type Stack, startStack } from '../helpers/stack';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function seed(stack: Stack): Promise<void> {
  await insertUsers(stack.databases.account.dataSource, [{ id: 1, name: 'Ada' }]);
  await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
  await insertProducts(
    stack.databases.product.dataSource,
    Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `Product ${i + 1}`, priceCents: 100 + i, stock: 5, categoryId: 1 })),
  );
  await insertOrders(stack.databases.order.dataSource, {
    firstOrderId: 1,
    userId: 1,
    count: 3,
    itemsPerOrder: 2,
    productIds: [1, 2],
    unitPriceCents: () => 100,
  });
}

/** A products page of `n`: cost 1 + n × (edge 1 + node 1), and exactly that much comes back while n ≤ 30. */
const productsPage = (n: number) => `{ products(first: ${n}) { edges { node { id } } } }`;

describe('demand control: limits, just under and just over', () => {
  let stack: Stack;
  const demand: DemandControlConfig = {
    ...readDemandControlConfig({}),
    maxCost: { max: 22, mode: 'enforce' },
    maxDepth: { max: 4, mode: 'enforce' },
    maxAliases: { max: 3, mode: 'enforce' },
    maxRootFields: { max: 3, mode: 'enforce' },
    maxTokens: { max: 1000, mode: 'enforce' },
    budget: { capacity: 1_000_000, restorePerSecond: 1000, mode: 'enforce' },
  };

  beforeAll(async () => {
    stack = await startStack('limits', { demand, maxBodyBytes: 2048 });
    await seed(stack);
  });
  afterAll(() => stack.stop());

  /** Sends an operation and checks that a refusal reached no subgraph and no database. */
  async function send(query: string) {
    const before = { requests: stack.router.stats.subgraphRequests, statements: stack.statementCounts() };
    const result = await stack.graphql(query);
    const code = result.body.errors?.[0]?.extensions?.code;
    if (code && result.body.data === undefined) {
      expect(stack.router.stats.subgraphRequests).toBe(before.requests);
      expect(stack.statementCounts()).toEqual(before.statements);
    }
    return { ...result, code };
  }

  it.each([
    ['cost', productsPage(10), productsPage(11), 'COST_ESTIMATED_TOO_EXPENSIVE', 23, 22],
    [
      'depth',
      '{ products(first: 1) { edges { node { id } } } }',
      '{ products(first: 1) { edges { node { category { id } } } } }',
      'MAX_DEPTH_EXCEEDED',
      5,
      4,
    ],
    [
      'aliases',
      '{ a: me { id } b: me { id } c: me { id } }',
      '{ a: me { id } b: me { id } c: me { id } d: me { id } }',
      'MAX_ALIASES_EXCEEDED',
      4,
      3,
    ],
    [
      'root fields',
      '{ me { id } product(id: "1") { id } x: product(id: "2") { id } }',
      '{ me { id } product(id: "1") { id } x: product(id: "2") { id } y: product(id: "3") { id } }',
      'MAX_ROOT_FIELDS_EXCEEDED',
      4,
      3,
    ],
  ])(
    '%s: at the limit answered, one over refused with its code, the measured value and the limit',
    async (_label, under, over, code, measured, limit) => {
      const ok = await send(under);
      expect(ok.body.errors).toBeUndefined();
      const refused = await send(over);
      expect(refused.status).toBe(200); // application/json: request errors are 200 (400 with graphql-response+json)
      expect(refused.body.data).toBeUndefined();
      expect(refused.body.errors?.[0].extensions).toMatchObject({ code, measured, limit });
    },
  );

  it('tokens: counted before parsing, reported with the measured count', async () => {
    demand.maxTokens.max = 14;
    try {
      // { products ( first : 1 ) { edges { cursor } } } is 14 tokens; comments and commas are not tokens.
      expect((await send('{ products(first: 1) { edges { cursor } } } # a comment, with commas,,,')).body.errors).toBeUndefined();
      const over = await send('{ products(first: 1) { edges { cursor id: cursor } } }');
      expect(over.body.errors?.[0].extensions).toMatchObject({ code: 'MAX_TOKENS_EXCEEDED', measured: 17, limit: 14 });
    } finally {
      demand.maxTokens.max = 1000;
    }
  });

  it('page size: the maximum answered, one more refused, never clamped', async () => {
    demand.maxCost.max = 1000;
    try {
      expect((await send(productsPage(100))).body.data.products.edges).toHaveLength(30);
      const refused = await send(productsPage(101));
      expect(refused.body.errors?.[0].extensions).toMatchObject({
        code: 'PAGE_SIZE_EXCEEDED',
        measured: 101,
        limit: 100,
        path: ['products'],
      });
    } finally {
      demand.maxCost.max = 22;
    }
  });

  it('body bytes: at the limit read, one byte over refused with 413', async () => {
    const sized = (bytes: number) => {
      const base = JSON.stringify({ query: '{ me { id } } #' });
      return JSON.stringify({ query: `{ me { id } } #${'x'.repeat(bytes - base.length)}` });
    };
    const post = (body: string) => fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post(sized(2048))).status).toBe(200);
    const over = await post(sized(2049));
    expect(over.status).toBe(413);
    expect((await readJson(over)).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers request errors with 400 under application/graphql-response+json', async () => {
    const response = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: productsPage(11) }),
    });
    expect(response.status).toBe(400);
    expect((await readJson(response)).errors[0].extensions.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
  });

  it('hides the measured value and the limit when configured not to reveal them', async () => {
    demand.revealLimits = false;
    try {
      const refused = await send(productsPage(11));
      expect(refused.body.errors?.[0].extensions?.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
      expect(refused.body.errors?.[0].extensions).not.toHaveProperty('measured');
      expect(refused.body.errors?.[0].extensions).not.toHaveProperty('limit');
      expect(refused.body.errors?.[0].message).not.toMatch(/22|23/);
    } finally {
      demand.revealLimits = true;
    }
  });

  it('in measure mode lets an operation over the limit through, and counts it', async () => {
    demand.maxCost.mode = 'measure';
    const before = stack.router.stats.demand.measuredOver.COST_ESTIMATED_TOO_EXPENSIVE ?? 0;
    try {
      const result = await send(productsPage(11));
      expect(result.body.data.products.edges).toHaveLength(11);
      expect(stack.router.stats.demand.measuredOver.COST_ESTIMATED_TOO_EXPENSIVE).toBe(before + 1);
    } finally {
      demand.maxCost.mode = 'enforce';
    }
  });
});

describe('demand control: hostile operations reach no subgraph', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('hostile');
    await seed(stack);
  });
  afterAll(() => stack.stop());

  const deep = (levels: number) => {
    let selection = 'id';
    for (let i = 0; i < levels; i++)
      selection = i % 2 === 0 ? `customer { orders(first: 1) { edges { node { ${selection} } } } }` : selection;
    return `{ order(id: "1") { ${selection} } }`;
  };
  const json = 'application/json';
  const cases: [string, () => string | unknown[], string, number, string][] = [
    [
      'an alias bomb',
      () => `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: me { id }`).join(' ')} }`,
      'MAX_ALIASES_EXCEEDED',
      200,
      json,
    ],
    ['50-deep nesting', () => deep(13), 'MAX_DEPTH_EXCEEDED', 200, json],
    [
      'a fragment cycle',
      () => 'query { me { ...A } } fragment A on User { orders { edges { node { customer { ...B } } } } } fragment B on User { ...A }',
      'GRAPHQL_VALIDATION_FAILED',
      200,
      json,
    ],
    ['a directive flood', () => `{ me ${'@include(if: true) '.repeat(500)}{ id } }`, 'GRAPHQL_VALIDATION_FAILED', 200, json],
    ['a 100,000-token document', () => `{ me { ${'id '.repeat(100_000)}} }`, 'MAX_TOKENS_EXCEEDED', 200, json],
    ['first: 1000000', () => '{ products(first: 1000000) { edges { node { id } } } }', 'PAGE_SIZE_EXCEEDED', 200, json],
    [
      'an expensive but legal-looking operation',
      () => '{ a: products(first: 100) { edges { node { category { products(first: 100) { edges { node { id } } } } } } } }',
      'COST_ESTIMATED_TOO_EXPENSIVE',
      200,
      json,
    ],
    ['a batched array of operations', () => [{ query: '{ me { id } }' }, { query: '{ me { id } }' }], 'BATCHING_NOT_SUPPORTED', 400, json],
    [
      'many operations and no operation name',
      () => 'query A { me { id } } query B { me { id } }',
      'OPERATION_RESOLUTION_FAILURE',
      400,
      'application/graphql-response+json',
    ],
  ];

  it.each(cases)('refuses %s with %s, no subgraph request, no SQL statement', async (_label, make, code, status, accept) => {
    const before = { requests: stack.router.stats.subgraphRequests, statements: stack.statementCounts() };
    const document = make();
    const response = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: JSON.stringify(Array.isArray(document) ? document : { query: document }),
    });
    expect(response.status).toBe(status);
    const body = await readJson(response);
    expect(body.errors[0].extensions.code).toBe(code);
    expect(stack.router.stats.subgraphRequests).toBe(before.requests);
    expect(stack.statementCounts()).toEqual(before.statements);
  });

  it('puts the requested and actual cost and the budget in every answered response', async () => {
    const { body, cost } = await stack.graphql('{ user(id: "1") { name orders(first: 20) { edges { node { items { quantity } } } } } }', {
      as: '1',
    });
    expect(body.data.user.orders.edges).toHaveLength(3);
    // requested: user 1 + orders 1 + 20 edges × (1 + node 1 + items 5 × 1); actual: 3 orders of 2 items
    expect(cost).toEqual({
      requestedQueryCost: 1 + 1 + 20 * (1 + 1 + 5),
      actualQueryCost: 1 + 1 + 3 * (1 + 1 + 2),
      throttleStatus: { maximumAvailable: 2000, currentlyAvailable: expect.any(Number), restoreRate: 100 },
    });
    // Charged the actual cost once the refund is in (plus a few points restored while it ran).
    expect(cost?.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(2000 - (1 + 1 + 3 * 4));
  });
});

describe('demand control: a budget per client', () => {
  let stack: Stack;
  const budget = { capacity: 100, restorePerSecond: 1, mode: 'enforce' as const };
  beforeAll(async () => {
    stack = await startStack('budget', { demand: { ...readDemandControlConfig({}), budget } });
    await seed(stack);
  });
  afterAll(() => stack.stop());

  it('refuses with 429 THROTTLED and Retry-After once a client has spent its points, and no subgraph is asked', async () => {
    const as = String(randomInt(1_000_000, 9_000_000));
    for (let i = 0; i < 4; i++) expect((await stack.graphql(productsPage(12), { as })).status).toBe(200); // 4 × 25 = 100
    const before = stack.router.stats.subgraphRequests;
    const throttled = await stack.graphql(productsPage(12), { as });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(throttled.body.errors?.[0].extensions?.code).toBe('THROTTLED');
    expect(stack.router.stats.subgraphRequests).toBe(before);
    // Another client still has its own full bucket.
    expect((await stack.graphql(productsPage(12), { as: String(Number(as) + 1) })).status).toBe(200);
  });

  it('refuses an immediate retry of a throttled operation before planning, and still lets a cheaper one through', async () => {
    const as = String(randomInt(1_000_000, 9_000_000));
    for (let i = 0; i < 4; i++) await stack.graphql(productsPage(12), { as });
    expect((await stack.graphql(productsPage(12), { as })).status).toBe(429);
    const again = await stack.graphql(productsPage(12), { as });
    expect(again.status).toBe(429);
    expect(again.body.errors?.[0].extensions?.code).toBe('THROTTLED');
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // 4 points restore in the meantime: a cost-2 lookup still fits.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await stack.graphql('{ product(id: "1") { name } }', { as })).status).toBe(200);
  });

  it('refunds what the response did not use', async () => {
    const as = String(randomInt(1_000_000, 9_000_000));
    // Asks for 50 products (cost 101 would not fit) … 40: requested 81, 30 exist: actual 61, 20 refunded.
    const { cost } = await stack.graphql(productsPage(40), { as });
    expect(cost).toMatchObject({ requestedQueryCost: 81, actualQueryCost: 61 });
    expect(cost?.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(39);
    expect(cost?.throttleStatus.currentlyAvailable).toBeLessThanOrEqual(41);
  });
  it('tells clients behind a trusted balancer apart by X-Forwarded-For, given as a CIDR range, and no one else', async () => {
    const trustedProxies = TrustedProxies.parse('127.0.0.0/8,::1/128');
    const behind = await stack.startRouter({ demand: { ...readDemandControlConfig({}), budget, trustedProxies } });
    try {
      const spend = (url: string, forwardedFor: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          body: JSON.stringify({ query: productsPage(12) }),
        }).then((response) => response.status);
      const [a, b] = [`198.51.100.${randomInt(1, 250)}`, `2001:db8::${randomInt(1, 0xffff).toString(16)}`];
      // Through the balancer: client a spends its 100 points, client b still has its own.
      for (let i = 0; i < 4; i++) expect(await spend(behind.url, a)).toBe(200);
      expect(await spend(behind.url, a)).toBe(429);
      expect(await spend(behind.url, b)).toBe(200);
      // The header from a peer outside TRUSTED_PROXIES (the suite's router trusts none) chooses no budget: both
      // "clients" spend the peer's (127.0.0.1's) bucket.
      const [c, d] = ['203.0.113.1', '203.0.113.2'];
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push(await spend(stack.routerUrl, i % 2 === 0 ? c : d));
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
    } finally {
      await behind.router.stop();
    }
  });
});

describe('demand control: API keys', () => {
  let stack: Stack;
  const budget = { capacity: 100, restorePerSecond: 1, mode: 'enforce' as const };
  const listedKey = randomBytes(24).toString('base64url');
  const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
  const started: Router[] = [];
  /** A router of its own (fresh buckets), with `apiKeys` configured or none. */
  async function routerWith(apiKeys: DemandControlConfig['apiKeys']) {
    const { router, url } = await stack.startRouter({ demand: { ...readDemandControlConfig({}), budget, apiKeys } });
    started.push(router);
    const ask = async (headers: Record<string, string> = {}, query = productsPage(12)) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
      return { status: response.status, headers: response.headers, body: await readJson(response) };
    };
    return { router, ask };
  }
  beforeAll(async () => {
    stack = await startStack('apikeys');
    await seed(stack);
  });
  afterAll(async () => {
    await Promise.all(started.map((router) => router.stop()));
    await stack.stop();
  });

  it('with no key configured, ignores the header: 500 requests with a new key each are throttled exactly like 500 without one', async () => {
    const inventing = await routerWith([]);
    const keyless = await routerWith([]);
    const statuses = { inventing: [] as number[], keyless: [] as number[] };
    for (let i = 0; i < 500; i++) {
      statuses.inventing.push((await inventing.ask({ 'x-api-key': randomBytes(16).toString('hex') })).status);
      statuses.keyless.push((await keyless.ask()).status);
    }
    // 100 points buy four operations of 25; the rest wait (1 point a second) however many keys were invented.
    expect(statuses.inventing.filter((status) => status === 200)).toHaveLength(4);
    expect(statuses.inventing).toEqual(statuses.keyless);
    expect(statuses.inventing.slice(4).every((status) => status === 429)).toBe(true);
  });

  it('with keys configured, answers 500 unlisted keys 401 UNAUTHENTICATED before any work, with no stack and no data changed', async () => {
    const { router, ask } = await routerWith([{ name: 'storefront', sha256: sha256(listedKey) }]);
    const before = { requests: router.stats.subgraphRequests, statements: stack.statementCounts() };
    const invented = Array.from({ length: 500 }, () => randomBytes(16).toString('hex'));
    const answers = [];
    for (const key of invented) answers.push(await ask({ 'x-api-key': key }));
    expect(answers.map((answer) => answer.status)).toEqual(invented.map(() => 401));
    for (const { body } of answers) {
      expect(body.errors).toEqual([
        { message: expect.stringContaining('x-api-key header is not one this router accepts'), extensions: { code: 'UNAUTHENTICATED' } },
      ]);
    }
    const text = JSON.stringify(answers[0].body);
    expect(text).not.toContain(invented[0]);
    expect(text).not.toMatch(/stack|at .*\.js|http:\/\//);
    // Refused before parsing and planning: no subgraph asked, no SQL run.
    expect(router.stats.subgraphRequests).toBe(before.requests);
    expect(stack.statementCounts()).toEqual(before.statements);
    // A signed-in caller with an unlisted key is refused too: the key is a credential, and a wrong one is an error.
    const token = await stack.token('1');
    expect((await ask({ authorization: `Bearer ${token}`, 'x-api-key': 'not-listed' })).status).toBe(401);
  });

  it('gives a listed key a bucket of its own, with its own capacity, apart from the address', async () => {
    const { ask } = await routerWith([{ name: 'storefront', sha256: sha256(listedKey), capacity: 200, restorePerSecond: 2 }]);
    const spent = [];
    for (let i = 0; i < 8; i++) spent.push(await ask({ 'x-api-key': listedKey })); // 8 × 25 = 200
    expect(spent.map((answer) => answer.status)).toEqual(spent.map(() => 200));
    expect(spent[0].body.extensions.cost.throttleStatus).toMatchObject({ maximumAvailable: 200, restoreRate: 2 });
    const throttled = await ask({ 'x-api-key': listedKey });
    expect(throttled.status).toBe(429);
    expect(throttled.body.errors[0].extensions.code).toBe('THROTTLED');
    // The address's bucket (the default 100) is untouched by the key's spending.
    const anonymous = await ask();
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.extensions.cost.throttleStatus).toMatchObject({ maximumAvailable: 100, restoreRate: 1 });
  });
});

/** Resolves once `condition` holds, looking after each turn of the event loop; fails after 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not true after 5 s: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('demand control: budgets shared through Redis', () => {
  let stack: Stack;
  let routers: Router[] = [];
  let urls: string[] = [];
  const budget = { capacity: 100, restorePerSecond: 1, mode: 'enforce' as const };

  async function routerWith(redisUrl: string): Promise<{ router: Router; url: string }> {
    return stack.startRouter({ demand: { ...readDemandControlConfig({}), budget, redisUrl } });
  }

  const ask = async (url: string, as: string, query = productsPage(12)) => {
    const token = await signDevelopmentToken(readRouterConfig({}).auth, { userId: as });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: await readJson(response) };
  };

  beforeAll(async () => {
    stack = await startStack('redis');
    await seed(stack);
    const started = [await routerWith(REDIS_URL), await routerWith(REDIS_URL)];
    routers = started.map((s) => s.router);
    urls = started.map((s) => s.url);
  });
  afterAll(async () => {
    await Promise.all(routers.map((router) => router.stop()));
    await stack.stop();
  });

  it('lets two routers spend one bucket', async () => {
    const as = String(randomInt(1_000_000, 9_000_000));
    expect((await ask(urls[0], as)).status).toBe(200);
    expect((await ask(urls[1], as)).status).toBe(200);
    const third = await ask(urls[0], as);
    expect(third.body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThanOrEqual(26);
    expect((await ask(urls[1], as)).status).toBe(200);
    expect((await ask(urls[0], as)).status).toBe(429);
  });

  it('never overspends under concurrent requests through both routers', async () => {
    const as = String(randomInt(1_000_000, 9_000_000));
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => ask(urls[i % 2], as)));
    const seconds = (Date.now() - started) / 1000;
    const accepted = results.filter((result) => result.status === 200).length;
    expect(results.filter((result) => result.status === 429).length).toBe(24 - accepted);
    // Each costs 25 and uses all of it: what was accepted fits in the bucket plus what it restored meanwhile.
    expect(accepted * 25).toBeLessThanOrEqual(budget.capacity + Math.ceil(seconds * budget.restorePerSecond));
    expect(accepted).toBeGreaterThanOrEqual(4);
  });

  it('refuses through router B, before parsing, an operation its client was just refused through router A', async () => {
    const as = String(randomInt(1_000_000, 9_000_000));
    for (let i = 0; i < 4; i++) expect((await ask(urls[0], as)).status).toBe(200);
    const learned = routers.map((router) => router.stats.demand.learnedRefusals);
    const refused = await ask(urls[0], as);
    expect(refused.status).toBe(429);
    // Router A refused after parsing and costing: its message gives the cost.
    expect(refused.body.errors[0].message).toMatch(/^This operation costs 25 points/);
    await until(() => routers[1].stats.demand.learnedRefusals > learned[1]);
    const throttledB = routers[1].stats.demand.refused.THROTTLED ?? 0;
    const again = await ask(urls[1], as);
    expect(again.status).toBe(429);
    expect(again.body.errors[0].extensions.code).toBe('THROTTLED');
    // Router B never parsed it (that message comes from the throttle memory, before parsing), though it never
    // refused this client itself; router A did not learn its own refusal back.
    expect(again.body.errors[0].message).toMatch(/^Retry this operation in \d+ s/);
    expect(routers[1].stats.demand.refused.THROTTLED).toBe(throttledB + 1);
    expect(routers[0].stats.demand.learnedRefusals).toBe(learned[0]);
    // Another client and a cheaper operation of the same client are not blocked by what B learned.
    expect((await ask(urls[1], String(Number(as) + 1))).status).toBe(200);
  });

  it('falls back to a bucket in the process when Redis cannot be reached, instead of failing requests', async () => {
    const { router, url } = await routerWith('redis://127.0.0.1:1');
    try {
      const as = String(randomInt(1_000_000, 9_000_000));
      for (let i = 0; i < 4; i++) expect((await ask(url, as)).status).toBe(200);
      expect((await ask(url, as)).status).toBe(429);
      // The refusal could not be published, and is still remembered here: the retry is refused before parsing.
      const again = await ask(url, as);
      expect(again.status).toBe(429);
      expect(again.body.errors[0].message).toMatch(/^Retry this operation in \d+ s/);
    } finally {
      await router.stop();
    }
  });

  it('keeps its bucket in Redis with an expiry', async () => {
    const as = String(randomInt(1_000_000, 9_000_000));
    await ask(urls[0], as);
    const redis = new Redis(REDIS_URL);
    try {
      expect(Number(await redis.hget(`supergraph:budget:user:${as}`, 'level'))).toBeCloseTo(75, 0);
      expect(await redis.pttl(`supergraph:budget:user:${as}`)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });

  it("keeps a listed API key's bucket in Redis under its name, with the key's own capacity", async () => {
    const key = randomBytes(24).toString('hex');
    const name = `partner-${randomInt(1_000_000, 9_000_000)}`;
    const apiKeys = [{ name, sha256: createHash('sha256').update(key).digest('hex'), capacity: 50 }];
    const { router, url } = await stack.startRouter({ demand: { ...readDemandControlConfig({}), budget, redisUrl: REDIS_URL, apiKeys } });
    const redis = new Redis(REDIS_URL);
    try {
      const send = () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: JSON.stringify({ query: productsPage(12) }),
        });
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(200); // 2 × 25 = 50
      expect((await send()).status).toBe(429);
      expect(Number(await redis.hget(`supergraph:budget:key:${name}`, 'level'))).toBeLessThan(25);
      expect(await redis.keys(`supergraph:budget:key:${key}*`)).toEqual([]);
    } finally {
      redis.disconnect();
      await router.stop();
    }
  });
});
