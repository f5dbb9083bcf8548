/**
 * The router bench's own logic that its figures rest on (bench/README.md): recordings keyed by caller as well as
 * body, our router's refusals read from its metrics, the proof that no request repeats within a second, and the
 * regression guard's comparison. Plain Node modules of bench/lib, which need none of the bench's packages.
 */

import { RouterMetrics } from '../../router/metrics/RouterMetrics';
import { emptyRouterStats } from '../../router/metrics/RouterStats';
import type { LoadShedder } from '../../router/resilience/LoadShedder';

const { subgraphRequestKey, clientRequestKey } = require('../../bench/lib/recordings');
const { refusalsIn, refusalsBetween } = require('../../bench/lib/refusals');
const { newRotation, nextVariant } = require('../../bench/lib/rotation');
const { compareCpu, ratiosToStock } = require('../../bench/lib/ratios');

describe('recording keys', () => {
  const body = Buffer.from('{"query":"{ me { id } }"}');

  it('tell apart the same subgraph request made for two users', () => {
    const forUser = (user: string) => subgraphRequestKey('/account/graphql', { 'x-user-id': user }, body);
    expect(forUser('1')).not.toEqual(forUser('2'));
    expect(forUser('1')).toEqual(forUser('1'));
  });

  it('depend on the scopes, the path and the body, not on other headers', () => {
    const base = subgraphRequestKey('/account/graphql', { 'x-user-id': '1', 'x-time-left': '900' }, body);
    expect(subgraphRequestKey('/account/graphql', { 'x-user-id': '1', 'x-time-left': '450' }, body)).toEqual(base);
    expect(subgraphRequestKey('/account/graphql', { 'x-user-id': '1', 'x-user-scopes': 'orders:read' }, body)).not.toEqual(base);
    expect(subgraphRequestKey('/order/graphql', { 'x-user-id': '1' }, body)).not.toEqual(base);
    expect(subgraphRequestKey('/account/graphql', { 'x-user-id': '1' }, Buffer.from('{"query":"{ me { name } }"}'))).not.toEqual(base);
  });

  it('of a client request: the user and the body, anonymous being no user', () => {
    const text = '{"query":"query MyOrders { me { id } }"}';
    expect(clientRequestKey('325', text)).not.toEqual(clientRequestKey('326', text));
    expect(clientRequestKey('', text)).toEqual(clientRequestKey(undefined, text));
    expect(clientRequestKey('', text)).not.toEqual(clientRequestKey('325', text));
  });
});

describe("our router's refusals, read from its /metrics after every run", () => {
  it('are the demand refusals by code and the requests shed, as the router exports them', async () => {
    const stats = emptyRouterStats();
    const metrics = new RouterMetrics(stats, new Map(), { lagMs: 0 } as unknown as LoadShedder);
    const before = refusalsIn(await metrics.metrics.registry.metrics());
    expect(before).toEqual({ demand: {}, shed: 0 });

    stats.demand.refused = { BUDGET_EXHAUSTED: 3, COST_ESTIMATED_TOO_EXPENSIVE: 1 };
    stats.shed = 2;
    const after = refusalsIn(await metrics.metrics.registry.metrics());
    expect(after).toEqual({ demand: { BUDGET_EXHAUSTED: 3, COST_ESTIMATED_TOO_EXPENSIVE: 1 }, shed: 2 });
    expect(refusalsBetween(before, after)).toEqual({
      demand: { BUDGET_EXHAUSTED: 3, COST_ESTIMATED_TOO_EXPENSIVE: 1 },
      demandTotal: 4,
      shed: 2,
    });
  });
});

describe('the rotation over variants', () => {
  it('sends each variant in turn and counts nothing while a second separates two sends of one', () => {
    const rotation = newRotation(4);
    const sent = [0, 250, 500, 750, 1000, 1250, 1500, 1750].map((now) => nextVariant(rotation, now));
    expect(sent).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(rotation.repeats).toBe(0);
  });

  it('counts every send of a variant less than a second after its previous one', () => {
    const rotation = newRotation(2);
    for (const now of [0, 100, 200, 300, 1300, 1400]) nextVariant(rotation, now);
    // Variant 0 at 0, 200 (repeat), 1300; variant 1 at 100, 300 (repeat), 1400.
    expect(rotation.repeats).toBe(2);
  });
});

describe('the regression guard', () => {
  const result = (oursCpu: number, stockCpu: number) => {
    const summary = {
      myOrders: {
        ours: { rps: { median: 400 }, p95: { median: 50 }, cpuMsPerRequest: { median: oursCpu }, peakRssMb: { max: 300 } },
        stock: { rps: { median: 200 }, p95: { median: 100 }, cpuMsPerRequest: { median: stockCpu }, peakRssMb: { max: 250 } },
      },
    };
    const operations = [{ name: 'myOrders' }];
    const routers = ['ours', 'stock'];
    return { summary, operations, routers, ratios: ratiosToStock(summary, operations, routers) };
  };

  it('takes every figure as a ratio to the stock gateway in the same run', () => {
    expect(result(2.5, 5).ratios.myOrders.ours).toEqual({ rps: 2, p95: 0.5, cpuMsPerRequest: 0.5, peakRssMb: 1.2 });
  });

  it('warns when our CPU per request grows by more than 10 % relative to stock, not below it nor on a slower machine', () => {
    const baseline = result(2.5, 5);
    expect(compareCpu(result(2.76, 5), baseline)[0]).toMatchObject({ operation: 'myOrders', warning: true });
    expect(compareCpu(result(2.74, 5), baseline)[0].warning).toBe(false);
    // Both routers twice as slow: the ratio is the same.
    expect(compareCpu(result(5, 10), baseline)[0]).toMatchObject({ changePercent: 0, warning: false });
  });

  it('works out the ratios of results written before they were stored', () => {
    const { summary, operations, routers } = result(3, 5);
    const rows = compareCpu({ summary, operations, routers }, result(2.5, 5));
    expect(rows[0].changePercent).toBeCloseTo(20, 6);
    expect(rows[0].warning).toBe(true);
  });
});

describe("the cache bench's ideal bound", () => {
  const { idealHitRatio } = require('../../bench/lib/idealCache');
  const detail = (product: string) => ({ kind: 'productDetail', product });
  const page = (n: number) => ({ kind: 'productList', page: n });
  const reprice = (product: string) => ({ kind: 'updatePrice', product });

  it('counts a read again within the TTL as a hit, and not after a write of its product or past the TTL', () => {
    expect(idealHitRatio([detail('1'), detail('1'), reprice('1'), detail('1'), detail('1')], { rate: 1, seconds: 5 })).toBe(0.5);
    // 20 s apart, past the 10 s TTL: every read misses.
    expect(idealHitRatio([detail('1'), detail('1')], { rate: 0.05, seconds: 40 })).toBe(0);
    expect(idealHitRatio([detail('1'), detail('1')], { rate: 0.05, seconds: 40, ttlSeconds: 30 })).toBe(0.5);
  });

  it('drops a page of 20 when one of its products is written, and only that page', () => {
    // Product 25 is on page 2 (ids 21-40).
    const sequence = [page(1), page(2), reprice('25'), page(1), page(2)];
    expect(idealHitRatio(sequence, { rate: 1, seconds: 5 })).toBe(0.25);
  });
});
