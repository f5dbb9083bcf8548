import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse } from 'graphql';
import { createRouter, type Router } from '../../router';
import type { RouterConfig } from '../../router/RouterConfig';
import { composeSupergraph } from '../../schema/composeSupergraph';
import { closeServer, createHttpServer, handleGraphQLRequest, type Logger, listen } from '../../shared';
import { testRouterConfig } from '../helpers/stack';
import { silentLogger } from '../helpers/subgraphHarness';
import type { StockGateway, StockGateways } from './stockGateway';

/** One subgraph of a case: its SDL and resolvers over fixed in-memory data. */
export interface SubgraphDefinition {
  name: string;
  typeDefs: string;
  resolvers: GraphQLResolverMap<unknown>;
}

/** What a client sees of a response, as the corpus compares it: data, and each error's message and path. */
export interface Answer {
  data?: unknown;
  errors?: { message: string; path?: (string | number)[] }[];
}

/** A refusal of the whole operation (no data), by its code, with what its message must say. */
export interface Refusal {
  refused: string;
  message: RegExp;
  /** The HTTP status, where it matters. */
  status?: number;
}

export interface ConformanceOperation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /**
   * The right answer per the federation spec, worked out by hand from the case's data; a refusal where no
   * answer is right (an operation no Node gateway can execute).
   */
  expected: Answer | Refusal;
  /** Where stock `@apollo/gateway` answers otherwise: what it answers, and why that is wrong. */
  stock?: (Answer | Refusal) & { why: string };
  /** Where the router answers otherwise (a refusal at plan time instead of wrong data), and why. */
  ours?: (Answer | Refusal) & { why: string };
}

export interface ConformanceCase {
  name: string;
  /** The federation features the case exercises (the corpus table's second column). */
  covers: string[];
  subgraphs: SubgraphDefinition[];
  /** A hand-written Fed 1 supergraph, where `{{url:name}}` stands for subgraph `name`'s URL; default: compose the subgraphs. */
  fed1Supergraph?: string;
  operations: ConformanceOperation[];
  /**
   * A supergraph a gateway must refuse to serve (a feature it cannot execute or enforce): what its start-up
   * error says, per side; a side not named serves it.
   */
  refusedSupergraph?: { stock?: RegExp; ours?: RegExp; why: string };
}

/** A subgraph of a running case, with every operation it received. */
export interface RunningSubgraph {
  url: string;
  received: { query: string; variables: Record<string, unknown> }[];
}

export type Target = 'ours' | 'stock';

/** A case with its subgraphs, the stock gateway and the router running, each on a free port. */
export interface RunningCase {
  supergraphSdl: string;
  /** Where the supergraph was written for the router (`SUPERGRAPH_PATH`): publish to it to reload. */
  supergraphPath: string;
  subgraphs: ReadonlyMap<string, RunningSubgraph>;
  stock: StockGateway;
  ours: { url: string; adminUrl: string; router: Router } | { refused: string };
  /** Sends `operation` to one of the two gateways and returns what a client sees. */
  send(
    target: Target,
    operation: { query: string; variables?: Record<string, unknown> },
  ): Promise<Answer & { status: number; codes: string[] }>;
  /** Another router over the same supergraph file (the caller stops it), e.g. with other config. */
  startRouter(overrides: Partial<RouterConfig>): Promise<{ url: string; adminUrl: string; router: Router }>;
  stop(): Promise<void>;
}

async function startSubgraph(definition: SubgraphDefinition): Promise<RunningSubgraph & { server: http.Server; apollo: ApolloServer }> {
  const received: RunningSubgraph['received'] = [];
  const apollo = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(definition.typeDefs), resolvers: definition.resolvers }),
    logger: silentLogger,
    includeStacktraceInErrorResponses: false,
    plugins: [
      {
        async requestDidStart({ request }) {
          received.push({ query: request.query ?? '', variables: request.variables ?? {} });
        },
      },
    ],
  });
  await apollo.start();
  const server = createHttpServer(
    [
      {
        path: '/graphql',
        handler: (req, res, url) =>
          handleGraphQLRequest(req, res, url, { server: apollo, context: async () => ({}), maxBodyBytes: 1 << 20 }),
      },
    ],
    (error) => silentLogger.error({ err: error }, 'conformance subgraph failed'),
  );
  // Longer than any client's idle timeout: neither gateway may reuse a socket this side is closing.
  server.keepAliveTimeout = 60_000;
  const port = await listen(server, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/graphql`, received, server, apollo };
}

/** The case's supergraph: composed from its subgraphs at their URLs, or its Fed 1 fixture with the URLs filled in. */
export function supergraphOf(definition: ConformanceCase, urls: ReadonlyMap<string, string>): string {
  if (definition.fed1Supergraph) {
    return definition.fed1Supergraph.replace(/\{\{url:(\w+)\}\}/g, (_, name: string) => urls.get(name) ?? `missing-${name}`);
  }
  const composed = composeSupergraph(
    definition.subgraphs.map((subgraph) => ({ name: subgraph.name, url: urls.get(subgraph.name) ?? '', sdl: subgraph.typeDefs })),
  );
  if (!composed.ok) throw new Error(`${definition.name} does not compose:\n${composed.problems.map((p) => p.message).join('\n')}`);
  return composed.supergraphSdl;
}

/**
 * The router as the corpus runs it: fast paths on, demand control on with its default limits, budgets off
 * (the corpus sends many operations from one client), subgraphs at the URLs the supergraph names.
 */
export function corpusRouterConfig(supergraphPath: string, overrides: Partial<RouterConfig> = {}): RouterConfig {
  const config = testRouterConfig({ supergraphPath, gatewayFastPaths: true });
  return {
    ...config,
    subgraphUrls: {},
    demand: { ...config.demand, budget: { ...config.demand.budget, mode: 'off' } },
    ...overrides,
  };
}

/**
 * Starts a case: its subgraphs, the stock gateway (in `stock`'s process; none when null) and the router,
 * on the same supergraph, the router logging to `logger`.
 */
export async function startCase(
  definition: ConformanceCase,
  stock: StockGateways | null,
  overrides: Partial<RouterConfig> = {},
  logger: Logger = silentLogger,
): Promise<RunningCase> {
  // Everything started so far, stopped in reverse order by stop() or when a later step fails.
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  };
  try {
    const subgraphs = new Map<string, RunningSubgraph>();
    for (const subgraph of definition.subgraphs) {
      const running = await startSubgraph(subgraph);
      cleanups.push(async () => {
        await closeServer(running.server);
        await running.apollo.stop();
      });
      subgraphs.set(subgraph.name, { url: running.url, received: running.received });
    }
    const supergraphSdl = supergraphOf(definition, new Map([...subgraphs].map(([name, running]) => [name, running.url])));
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-'));
    cleanups.push(async () => fs.rmSync(directory, { recursive: true, force: true }));
    const supergraphPath = path.join(directory, 'supergraph.graphql');
    fs.writeFileSync(supergraphPath, supergraphSdl);
    const startRouter = async (extra: Partial<RouterConfig>) => {
      const router = await createRouter({ config: corpusRouterConfig(supergraphPath, { ...overrides, ...extra }), logger });
      cleanups.push(() => router.stop());
      const { port, adminPort } = await router.listen();
      return { router, url: `http://127.0.0.1:${port}/graphql`, adminUrl: `http://127.0.0.1:${adminPort}` };
    };
    const stockGateway = stock ? await stock.start(supergraphSdl) : { refused: 'no stock gateway was asked for', stop: async () => {} };
    cleanups.push(() => stockGateway.stop());
    let ours: RunningCase['ours'];
    try {
      ours = await startRouter({});
    } catch (error) {
      ours = { refused: error instanceof Error ? error.message : String(error) };
    }
    const urls: Record<Target, string | undefined> = { ours: 'url' in ours ? ours.url : undefined, stock: stockGateway.url };
    return {
      supergraphSdl,
      supergraphPath,
      subgraphs,
      stock: stockGateway,
      ours,
      startRouter,
      async send(target, operation) {
        const url = urls[target];
        if (!url) throw new Error(`${target} refused the supergraph of ${definition.name}`);
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: operation.query, variables: operation.variables }),
        });
        const body = (await response.json()) as {
          data?: unknown;
          errors?: { message: string; path?: (string | number)[]; extensions?: { code?: unknown } }[];
        };
        return { status: response.status, codes: (body.errors ?? []).map((error) => String(error.extensions?.code)), ...answerOf(body) };
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A response as the corpus compares it: `data` when present, and each error's message and path only. */
export function answerOf(body: { data?: unknown; errors?: { message: string; path?: (string | number)[] }[] }): Answer {
  const answer: Answer = {};
  if ('data' in body) answer.data = body.data;
  // In a stable order: errors of parallel fetches arrive in any order, and the spec gives their order no meaning.
  if (body.errors) answer.errors = body.errors.map(({ message, path }) => (path ? { message, path } : { message })).sort(byPathAndMessage);
  return answer;
}

/** The `@link` line of a Federation 2 subgraph importing `imports`. */
export function federation(imports: string[], version = '2.9'): string {
  return `extend schema @link(url: "https://specs.apollo.dev/federation/v${version}", import: [${imports.map((name) => `"${name}"`).join(', ')}])`;
}

/** Finds `id` in `rows`, or null: what a reference resolver over fixed data returns. */
export function byId<T extends { id: string }>(rows: readonly T[], id: string): T | null {
  return rows.find((row) => row.id === id) ?? null;
}

function byPathAndMessage(a: { message: string; path?: unknown[] }, b: { message: string; path?: unknown[] }): number {
  return JSON.stringify([a.path ?? [], a.message]).localeCompare(JSON.stringify([b.path ?? [], b.message]));
}
