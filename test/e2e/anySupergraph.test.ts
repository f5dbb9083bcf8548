import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createRouter, SupergraphRefused } from '../../router';
import { readDemandControlConfig } from '../../router/demand/DemandControlConfig';
import { demoCase } from '../conformance/cases/demo';
import { corpusRouterConfig, type RunningCase, startCase } from '../conformance/harness';
import { readJson } from '../helpers/http';
import { silentLogger } from '../helpers/subgraphHarness';

const ISSUE_QUERY = '{ topProducts(first: 5) { reviews { author { reviews { product { name } } } } } }';

/** The four ways a published supergraph can be bad, each made from a good one, with what the refusal says. */
function badSupergraphs(good: string, reviewsUrl: string): { name: string; sdl: string; reason: RegExp }[] {
  const joinLink = '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)';
  if (!good.includes(joinLink) || !good.includes(reviewsUrl)) throw new Error('the good supergraph is not what this test expects');
  return [
    { name: 'does not parse', sdl: 'type Query { this is not a supergraph', reason: /^The supergraph does not parse: Syntax Error: / },
    {
      name: 'fails validation as a supergraph',
      sdl: good.replace(/reviews: \[Review\]/, 'reviews: [Ghost]'),
      reason: /^The supergraph is not valid: .*Ghost/,
    },
    {
      name: 'links an unknown SECURITY feature',
      sdl: good.replace(joinLink, `${joinLink}\n  @link(url: "https://example.com/secret/v1.0", for: SECURITY)`),
      reason: /https:\/\/example\.com\/secret\/v1\.0 \(for: SECURITY\): neither @apollo\/gateway nor this router implements it/,
    },
    {
      name: 'gives a subgraph no usable URL',
      sdl: good.replace(reviewsUrl, 'not a url'),
      reason: /^The supergraph gives no http\(s\) URL for subgraph "reviews" \("not a url"; REVIEWS_URL overrides it\)\.$/,
    },
  ];
}

describe('a supergraph composed by other teams, without cost annotations', () => {
  let running: RunningCase;
  const logged: { msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });

  beforeAll(async () => {
    running = await startCase(demoCase, null, { supergraphPollIntervalMs: 20 }, logger);
  });
  afterAll(() => running?.stop());

  const ours = () => {
    if (!('url' in running.ours)) throw new Error(`the router refused the demo supergraph: ${running.ours.refused}`);
    return running.ours;
  };
  const post = async (url: string, query: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return { status: response.status, body: await readJson(response) };
  };

  it('logs at start, in one line, how its cost model sizes each list', () => {
    expect(logged.map((line) => line.msg)).toContain(
      'cost model: 3 list fields; 0 sized by @listSize, 1 by an inferred slicing argument (Query.topProducts(first)), 0 by their connection field, 2 falling back to COST_DEFAULT_LIST_SIZE=10 (Product.reviews, User.reviews)',
    );
  });

  it('prices the issue’s query by first: 5 (1,105) and its refusal names the lists whose size it assumed', async () => {
    const { status, body } = await post(ours().url, ISSUE_QUERY);
    expect({ status, data: body.data, code: body.errors[0].extensions.code }).toEqual({
      status: 200,
      data: undefined,
      code: 'COST_ESTIMATED_TOO_EXPENSIVE',
    });
    expect(body.errors[0].message).toBe(
      "The operation's estimated cost is 1105; the limit is 1000. The sizes of Product.reviews, User.reviews were assumed (COST_DEFAULT_LIST_SIZE: 10 items each) because nothing gives them: pass a slicing argument (first, last, limit, pageSize, take), annotate the field with @listSize(assumedSize:) or @listSize(slicingArguments:) in its subgraph, or set COST_DEFAULT_LIST_SIZE.",
    );
    expect(body.errors[0].extensions.assumedListSizes).toEqual(['Product.reviews', 'User.reviews']);
  });

  it('answers it where the limit allows, with 1,105 as its requested cost', async () => {
    const demand = readDemandControlConfig({ MAX_OPERATION_COST: '2000', BUDGET_MODE: 'off' });
    const { url } = await running.startRouter({ demand });
    const { body } = await post(url, ISSUE_QUERY);
    expect(body.errors).toBeUndefined();
    expect(body.data.topProducts).toHaveLength(3);
    expect(body.extensions.cost.requestedQueryCost).toBe(1105);
  });

  it('refuses each of four bad supergraphs at start with one line that says why', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-supergraph-'));
    try {
      for (const bad of badSupergraphs(running.supergraphSdl, running.subgraphs.get('reviews')?.url ?? '')) {
        const file = path.join(directory, 'supergraph.graphql');
        fs.writeFileSync(file, bad.sdl);
        const started = createRouter({ config: corpusRouterConfig(file), logger: silentLogger });
        await expect(started).rejects.toThrow(SupergraphRefused);
        const message = await started.then(
          () => '',
          (error: Error) => error.message,
        );
        expect({ bad: bad.name, message }).toEqual({ bad: bad.name, message: expect.stringMatching(bad.reason) });
        expect(message).not.toContain('\n');
      }
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it('serves a supergraph without a subgraph URL when <NAME>_URL gives it', async () => {
    const reviewsUrl = running.subgraphs.get('reviews')?.url ?? '';
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'url-override-'));
    const file = path.join(directory, 'supergraph.graphql');
    fs.writeFileSync(file, running.supergraphSdl.replace(reviewsUrl, ''));
    const router = await createRouter({
      config: corpusRouterConfig(file, { subgraphUrls: { REVIEWS: reviewsUrl } }),
      logger: silentLogger,
    });
    try {
      const { port } = await router.listen();
      const { body } = await post(`http://127.0.0.1:${port}/graphql`, '{ topProducts(first: 1) { name reviews { body } } }');
      expect(body).toEqual({
        data: { topProducts: [{ name: 'Table', reviews: [{ body: 'Love it!' }, { body: 'Wobbly.' }] }] },
        extensions: expect.anything(),
      });
    } finally {
      await router.stop();
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it('keeps serving the last good supergraph when each of the four is published, and says why on /health/ready', async () => {
    const health = async () => readJson(await fetch(`${ours().adminUrl}/health/ready`));
    const servedVersion = (await health()).supergraph.version;
    const query = '{ topProducts(first: 1) { name } }';
    for (const bad of badSupergraphs(running.supergraphSdl, running.subgraphs.get('reviews')?.url ?? '')) {
      fs.writeFileSync(`${running.supergraphPath}.tmp`, bad.sdl);
      fs.renameSync(`${running.supergraphPath}.tmp`, running.supergraphPath);
      // The router polls every 20 ms: wait until it has looked at this one.
      const deadline = Date.now() + 10_000;
      let state = await health();
      while (!bad.reason.test(state.supergraph.lastReloadError?.message ?? '') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        state = await health();
      }
      expect({ bad: bad.name, reason: state.supergraph.lastReloadError?.message, version: state.supergraph.version }).toEqual({
        bad: bad.name,
        reason: expect.stringMatching(bad.reason),
        version: servedVersion,
      });
      expect((await post(ours().url, query)).body.data).toEqual({ topProducts: [{ name: 'Table' }] });
    }
  });
});
