import { type Router, readRouterConfig, signDevelopmentToken } from '../../router';
import { startFaultyProxy } from '../helpers/faultyProxy';
import { insertOneOrderOfOneProduct } from '../helpers/fixtures';
import { readJson } from '../helpers/http';
import { type Stack, startStack } from '../helpers/stack';

describe('partial results when a subgraph fails', () => {
  let stack: Stack;
  const QUERY = '{ product(id: "1") { name } order(id: "1") { id } user(id: "1") { name orders { edges { node { id } } } } }';

  beforeAll(async () => {
    stack = await startStack('partial');
    await insertOneOrderOfOneProduct(stack.databases, 1);
  });
  afterAll(() => stack.stop());

  /**
   * A router whose order subgraph is `orderUrl`, with a short timeout for it alone: the healthy subgraphs keep the
   * default, so that on a busy machine (CI's Node 22 leg) a slow first call to them is not taken for the fault.
   */
  async function routerWith(orderUrl: string): Promise<{ router: Router; ask: () => Promise<any> }> {
    const base = readRouterConfig({ NODE_ENV: 'test' });
    const { router, url } = await stack.startRouter({
      subgraphTimeouts: { ORDER: 300 },
      subgraphUrls: { ACCOUNT: stack.subgraphUrls.account, PRODUCT: stack.subgraphUrls.product, ORDER: orderUrl },
    });
    const token = await signDevelopmentToken(base.auth, { userId: '1' });
    const ask = async () =>
      readJson(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: QUERY }),
        }),
      );
    return { router, ask };
  }

  function expectPartial(body: any, code: string): void {
    expect(body.data).toEqual({ product: { name: 'Saw' }, order: null, user: { name: 'Ada', orders: null } });
    const errors = body.errors.map((error: any) => ({
      path: error.path,
      code: error.extensions.code,
      subgraph: error.extensions.subgraph,
    }));
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: ['order'], code, subgraph: 'order' },
        { path: ['user', 'orders'], code, subgraph: 'order' },
      ]),
    );
    // No internal address, no subgraph response body.
    expect(JSON.stringify(body.errors)).not.toMatch(/127\.0\.0\.1|10\.0\.0\.7|http:\/\/|maintenance/);
  }

  it('answers SUBGRAPH_TIMEOUT where a hanging subgraph part was, with the rest of the data', async () => {
    const hanging = await startFaultyProxy(stack.subgraphUrls.order, () => 'hang');
    const { router, ask } = await routerWith(hanging.url);
    try {
      expectPartial(await ask(), 'SUBGRAPH_TIMEOUT');
    } finally {
      await hanging.close();
      await router.stop();
    }
  });

  it('answers SUBGRAPH_UNAVAILABLE for a subgraph that answers 503', async () => {
    const down = await startFaultyProxy(stack.subgraphUrls.order, () => 'unavailable');
    const { router, ask } = await routerWith(down.url);
    try {
      expectPartial(await ask(), 'SUBGRAPH_UNAVAILABLE');
    } finally {
      await down.close();
      await router.stop();
    }
  });

  it('answers SUBGRAPH_UNAVAILABLE for a subgraph that is gone', async () => {
    const gone = await startFaultyProxy(stack.subgraphUrls.order, () => 'unavailable');
    const url = gone.url;
    await gone.close();
    const { router, ask } = await routerWith(url);
    try {
      expectPartial(await ask(), 'SUBGRAPH_UNAVAILABLE');
    } finally {
      await router.stop();
    }
  });
});
