/**
 * `npm run bench:usage`: the CPU that usage recording adds to one request, measured on the recorder's own hook
 * (`UsageRecorder.plugin`'s `didResolveOperation`, what every request runs), in this process, with the
 * committed supergraph's API schema. Three documents: one whose variables carry no input object or enum (the
 * per-document cache answers everything), and two whose variables carry input objects (walked per request).
 * The cases take turns for several rounds; prints each case's median CPU (user + system) per request, with
 * the minimum and maximum over the rounds. Nothing is written to a database: the recorder's flush runs off the
 * request path and is not part of a request's cost.
 *
 *   npm run bench:usage -- [--rounds 7] [--requests 100000]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { HeaderMap } from '@apollo/server';
import { type DocumentNode, getOperationAST, parse } from 'graphql';
import { UsageRecorder, type UsageStore } from '../router';
import { apiSchemaOf } from '../schema/checkSchema';
import { createLogger, projectPath } from '../shared';

// apiSchemaOf builds the schema with @apollo/gateway: no telemetry to Apollo, no cloud metadata probes (as router/main.ts).
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const ROUNDS = option('rounds', 7);
const REQUESTS = option('requests', 100_000);

interface Case {
  name: string;
  query: string;
  variables: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: 'product detail ($id: ID!, no input object)',
    query: 'query ProductDetail($id: ID!) { product(id: $id) { id name description price { amount currency } stock } }',
    variables: { id: '1' },
  },
  {
    name: 'search ($filter: ProductFilter, 2 fields)',
    query: 'query Search($filter: ProductFilter) { products(first: 20, filter: $filter) { edges { node { id name } } } }',
    variables: { filter: { search: 'saw', categoryId: '1' } },
  },
  {
    name: 'checkout ($input: PlaceOrderInput!, 5 lines)',
    query: 'mutation Checkout($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }',
    variables: {
      input: {
        idempotencyKey: 'c0ffee00-0000-4000-8000-000000000001',
        items: [1, 2, 3, 4, 5].map((n) => ({ productId: String(n), quantity: n })),
      },
    },
  },
];

/** A store that keeps nothing: the bench measures the request path, not the flush. */
const store = { add: async () => {}, close: async () => {} } as unknown as UsageStore;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const schema = await apiSchemaOf(fs.readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8'));
  const recorder = new UsageRecorder(store, createLogger('bench', 'silent'), 60_000);
  const plugin = recorder.plugin(() => 'v1');
  const headers = new HeaderMap([
    ['apollographql-client-name', 'web'],
    ['apollographql-client-version', '1.4.0'],
  ]);
  const contexts = CASES.map((c) => {
    const document: DocumentNode = parse(c.query);
    const operation = getOperationAST(document);
    return {
      document,
      operation,
      operationName: operation?.name?.value ?? null,
      // As Apollo Server keys a document: the SHA-256 of its text.
      queryHash: createHash('sha256').update(c.query).digest('hex'),
      schema,
      request: { query: c.query, variables: c.variables, http: { headers, method: 'POST', search: '', body: {} } },
    };
  });
  type Hooks = { didResolveOperation(context: unknown): Promise<void> };
  const once = async (context: unknown) => {
    const hooks = (await plugin.requestDidStart?.({} as never)) as unknown as Hooks;
    await hooks.didResolveOperation(context);
  };
  // The request path without the recorder's work: what the hook itself costs to call, subtracted below.
  const empty = async (_context: unknown) => {
    const hooks: Hooks = { didResolveOperation: async () => {} };
    await hooks.didResolveOperation(_context);
  };
  const run = async (fn: (context: unknown) => Promise<void>, context: unknown) => {
    const start = process.cpuUsage();
    for (let i = 0; i < REQUESTS; i++) await fn(context);
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / REQUESTS; // ns per request
  };
  for (const context of contexts) await run(once, context); // warm-up: caches filled, code optimised
  const samples = contexts.map(() => [] as number[]);
  const baseline: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    baseline.push(await run(empty, contexts[0]));
    for (const [i, context] of contexts.entries()) samples[i].push(await run(once, context));
  }
  await recorder.flush();
  const base = median(baseline);
  console.log(`usage recording, CPU per request (ns), ${REQUESTS} requests × ${ROUNDS} rounds; Node ${process.version}`);
  console.log(`  empty hook (subtracted): median ${base.toFixed(0)}`);
  for (const [i, c] of CASES.entries()) {
    const net = samples[i].map((ns) => ns - base);
    console.log(`  ${c.name}: median ${median(net).toFixed(0)} (${Math.min(...net).toFixed(0)}–${Math.max(...net).toFixed(0)})`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
