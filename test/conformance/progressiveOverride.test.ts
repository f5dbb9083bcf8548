import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createRouter } from '../../router';
import { installedVersions } from '../../router/gateway/fastPaths/versionCheck';
import { sampleValue, scrape } from '../helpers/prometheus';
import { byId, type ConformanceCase, corpusRouterConfig, federation, type RunningCase, startCase } from './harness';
import { StockGateways } from './stockGateway';

const products = [
  { id: '1', name: 'Kettle' },
  { id: '2', name: 'Toaster' },
];

/**
 * `Product.inStock` moving from `products` (which answers true) to `inventory` (false) under `inStockLabel`, and
 * `Product.rating` under the named label `reviews-v2` (1 before, 5 after); with `authenticated`, `Product.secret`
 * needs a signed-in caller (stock refuses such a supergraph). What a response holds tells which subgraph served
 * each field.
 */
function migration(inStockLabel: string, authenticated = true): ConformanceCase {
  const secret = authenticated ? 'secret: String @authenticated' : 'secret: String';
  return {
    name: `@override(label: "${inStockLabel}")`,
    covers: ['@override(label:)'],
    subgraphs: [
      {
        name: 'products',
        typeDefs: `${federation(authenticated ? ['@key', '@authenticated'] : ['@key'])}
          type Query { products: [Product!]! }
          type Product @key(fields: "id") { id: ID! name: String! inStock: Boolean! rating: Int! ${secret} }`,
        resolvers: {
          Query: { products: () => products },
          Product: {
            __resolveReference: (ref: { id: string }) => byId(products, ref.id),
            inStock: () => true,
            rating: () => 1,
            secret: () => 'hidden',
          },
        },
      },
      {
        name: 'inventory',
        typeDefs: `${federation(['@key', '@override'])}
          type Product @key(fields: "id") {
            id: ID!
            inStock: Boolean! @override(from: "products", label: "${inStockLabel}")
            rating: Int! @override(from: "products", label: "reviews-v2")
          }`,
        resolvers: {
          Product: { __resolveReference: (ref: { id: string }) => ref, inStock: () => false, rating: () => 5 },
        },
      },
    ],
    operations: [],
  };
}

const IN_STOCK = '{ products { name inStock } }';

/** Each request's subgraph calls its own: identical calls in flight are not shared, so calls can be counted. */
const UNSHARED = { deduplicateQueries: false };

/** Sends `query` `count` times, `concurrency` at a time; returns the responses' `data`. */
async function sendMany(running: RunningCase, query: string, count: number, concurrency = 8): Promise<any[]> {
  const answers: any[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        const answer = await running.send('ours', { query });
        if (answer.errors && !answer.data) throw new Error(JSON.stringify(answer.errors));
        answers.push(answer.data);
      }
    }),
  );
  return answers;
}

/** How many of `answers` had `inStock` from the new owner (every product false), checking none is mixed. */
function movedInStock(answers: any[]): number {
  let moved = 0;
  for (const data of answers) {
    const values = new Set(data.products.map((product: { inStock: boolean }) => product.inStock));
    if (values.size !== 1) throw new Error(`one response mixes owners: ${JSON.stringify(data)}`);
    if (values.has(false)) moved += 1;
  }
  return moved;
}

/** The operations `inventory` received that resolve `field`. */
function callsFor(running: RunningCase, field: string): number {
  return running.subgraphs.get('inventory')?.received.filter((call) => call.query.includes(field)).length ?? 0;
}

describe('progressive @override: percent labels', () => {
  it('percent(50) moves 50 % ± 5 of 2,000 requests, counted per label in the metrics', async () => {
    const running = await startCase(migration('percent(50)'), null, UNSHARED);
    try {
      const answers = await sendMany(running, IN_STOCK, 2000);
      const moved = movedInStock(answers);
      console.log(`percent(50): ${moved} of 2000 requests planned with the label on`);
      // A draw per request: outside 900..1100 happens with probability about 1e-5 (4.5 standard deviations).
      expect(moved).toBeGreaterThanOrEqual(900);
      expect(moved).toBeLessThanOrEqual(1100);
      // Every moved answer came from the new owner, and only those (one request each: the plan cache is keyed
      // by the label set, or the first plan cached would serve every request).
      expect(callsFor(running, 'inStock')).toBe(moved);
      if (!('adminUrl' in running.ours)) throw new Error(running.ours.refused);
      const samples = await scrape(`${running.ours.adminUrl}/metrics`);
      expect({
        on: sampleValue(samples, 'override_label_requests_total', { label: 'percent(50)', active: 'true' }),
        off: sampleValue(samples, 'override_label_requests_total', { label: 'percent(50)', active: 'false' }),
        named: sampleValue(samples, 'override_label_requests_total', { label: 'reviews-v2', active: 'false' }),
      }).toEqual({ on: moved, off: 2000 - moved, named: 2000 });
    } finally {
      await running.stop();
    }
  });

  it.each([
    ['percent(0)', 0],
    ['percent(100)', 300],
  ])('%s is exact: %i of 300 requests move', async (label, expected) => {
    const running = await startCase(migration(label), null, UNSHARED);
    try {
      expect(movedInStock(await sendMany(running, IN_STOCK, 300))).toBe(expected);
      expect(callsFor(running, 'inStock')).toBe(expected);
    } finally {
      await running.stop();
    }
  });

  it('keys the plan cache by the label set after authorization has rewritten the document', async () => {
    // Anonymous callers lose `secret` to authorization, whose rewritten document gets a hash of its own.
    const running = await startCase(migration('percent(50)'), null, UNSHARED);
    try {
      const answers = [];
      for (let n = 0; n < 200; n++) answers.push(await running.send('ours', { query: '{ products { name inStock secret } }' }));
      expect(answers.every((answer) => answer.codes.includes('UNAUTHENTICATED'))).toBe(true);
      const moved = movedInStock(answers.map((answer) => answer.data));
      // Both owners served some of the 200 (all on one side has probability 2 × 2^-200).
      expect(moved).toBeGreaterThan(0);
      expect(moved).toBeLessThan(200);
      expect(callsFor(running, 'inStock')).toBe(moved);
    } finally {
      await running.stop();
    }
  });
});

describe('progressive @override: named labels from OVERRIDE_LABELS_FILE', () => {
  let directory: string;
  let file: string;
  let running: RunningCase;
  const logged: { msg: string }[] = [];
  const waiters: { msg: string; resolve: () => void }[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg: string };
        logged.push(entry);
        for (const waiter of waiters.filter((candidate) => candidate.msg === entry.msg)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      },
    },
  );
  /** Resolves at the next log line `msg`. */
  const nextLog = (msg: string) => new Promise<void>((resolve) => waiters.push({ msg, resolve }));
  const ratings = async () => {
    const answer = await running.send('ours', { query: '{ products { rating } }' });
    return answer.data;
  };
  const rated = (rating: number) => ({ products: [{ rating }, { rating }] });

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'override-labels-'));
    file = path.join(directory, 'labels.json');
    fs.writeFileSync(file, '{}');
    running = await startCase(
      migration('percent(0)'),
      null,
      { supergraphPollIntervalMs: 20, overrideLabels: { enabled: true, file } },
      logger,
    );
  });
  afterAll(async () => {
    await running?.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('flips a named label on and off when the file changes, read with the supergraph poll', async () => {
    expect(await ratings()).toEqual(rated(1));
    let reloaded = nextLog('override labels reloaded');
    fs.writeFileSync(file, JSON.stringify({ 'reviews-v2': true }));
    await reloaded;
    expect(await ratings()).toEqual(rated(5));
    reloaded = nextLog('override labels reloaded');
    fs.writeFileSync(file, JSON.stringify({ 'reviews-v2': false }));
    await reloaded;
    expect(await ratings()).toEqual(rated(1));
  });

  it('keeps the last good setting when the file becomes invalid, and logs why', async () => {
    let reloaded = nextLog('override labels reloaded');
    fs.writeFileSync(file, JSON.stringify({ 'reviews-v2': true }));
    await reloaded;
    const refused = nextLog('refused OVERRIDE_LABELS_FILE; the previous setting stays');
    fs.writeFileSync(file, JSON.stringify({ 'reviews-v2': 'yes' }));
    await refused;
    expect(await ratings()).toEqual(rated(5));
    reloaded = nextLog('override labels reloaded');
    fs.writeFileSync(file, '{}');
    await reloaded;
    expect(await ratings()).toEqual(rated(1));
  });

  it('a file that is not valid at start stops the router from starting, with a line that says why', async () => {
    const bad = path.join(directory, 'bad.json');
    fs.writeFileSync(bad, '["reviews-v2"]');
    await expect(
      createRouter({ config: corpusRouterConfig(running.supergraphPath, { overrideLabels: { enabled: true, file: bad } }), logger }),
    ).rejects.toThrow(`OVERRIDE_LABELS_FILE ${bad} must hold a JSON object of label to true or false, e.g. { "reviews-v2": true }`);
  });
});

describe('progressive @override against stock @apollo/gateway (in a process of its own)', () => {
  let stock: StockGateways;
  beforeAll(async () => {
    stock = await StockGateways.launch();
  });
  afterAll(() => stock?.close());

  const operations = [
    IN_STOCK,
    '{ products { id name rating inStock } }',
    '{ products { __typename rating ... on Product { inStock } } }',
    '{ products { name secret } }',
    'query Q($skip: Boolean!) { products { rating @skip(if: $skip) inStock } }',
  ];

  it('answers as stock does when every label is off (percent(0), a named label not set)', async () => {
    const running = await startCase(migration('percent(0)', false), stock);
    try {
      for (const query of operations) {
        for (let n = 0; n < 5; n++) {
          const variables = { skip: n % 2 === 0 };
          const [ours, theirs] = [await running.send('ours', { query, variables }), await running.send('stock', { query, variables })];
          expect({ query, data: ours.data }).toEqual({ query, data: theirs.data });
          expect({ query, errors: ours.errors }).toEqual({ query, errors: theirs.errors });
        }
      }
    } finally {
      await running.stop();
    }
  });

  it('answers as stock does with ROUTER_OVERRIDE_LABELS=false, or on a planner version it was not tested with', async () => {
    const running = await startCase(migration('percent(100)', false), stock, { overrideLabels: { enabled: false, file: null } });
    try {
      const fromStock = await running.send('stock', { query: IN_STOCK });
      expect(fromStock.data).toEqual({ products: products.map(({ name }) => ({ name, inStock: true })) });
      expect((await running.send('ours', { query: IN_STOCK })).data).toEqual(fromStock.data);
      // The same supergraph, progressive override on, but the planner's version is not the tested one.
      const logged: { msg: string; reason?: string }[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
      const versions = { ...installedVersions(), '@apollo/query-planner': '2.15.0' };
      const router = await createRouter({ config: corpusRouterConfig(running.supergraphPath), logger, gatewayVersions: versions });
      try {
        const { port } = await router.listen();
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: IN_STOCK }),
        });
        expect(((await response.json()) as { data: unknown }).data).toEqual(fromStock.data);
        expect(logged.find((line) => line.msg.startsWith('progressive @override off'))).toMatchObject({
          msg: 'progressive @override off: every override label is planned as off',
          reason: 'untested versions: @apollo/query-planner 2.15.0 (tested with 2.14.4)',
        });
      } finally {
        await router.stop();
      }
    } finally {
      await running.stop();
    }
  });
});
