import Redis from 'ioredis';
import { InvalidationBus } from '../../router/cache/InvalidationBus';
import {
  changedInPlace,
  changedTags,
  collectingChanges,
  declareChanged,
  declareChangedInPlace,
  ENTITY_CHANGES_CHANNEL,
  markInPlace,
  splitInPlace,
} from '../../shared';
import { silentLogger } from '../helpers/subgraphHarness';

// How in-place changes travel (subgraph → router in a response extension, anything → routers over Redis): plain tags
// that any router understands, with the in-place ones listed beside them, so that a router that knows nothing of
// in-place changes (during a rolling upgrade) still drops everything it must.

describe('declaring changes', () => {
  it('lists every tag plainly, and as in place only those never declared otherwise in the request', () => {
    const declared = collectingChanges(() => {
      declareChangedInPlace('Product', { id: '5' }, { sku: 'LAMP-5' });
      declareChangedInPlace('Product', { id: '6' });
      declareChanged('Product', { id: '6' });
      declareChanged('User', { id: '1' });
      declareChangedInPlace('User', { id: '1' });
      return { tags: changedTags(), inPlace: changedInPlace() };
    });
    expect(declared.tags.sort()).toEqual(['Product.id=5', 'Product.id=6', 'Product.sku=LAMP-5', 'User.id=1']);
    expect(declared.inPlace.sort()).toEqual(['Product.id=5', 'Product.sku=LAMP-5']);
  });

  it("turns the wire's plain tags and in-place list into the router's marked tags, and back", () => {
    expect(markInPlace(['Product.id=5', 'Product.id=6', '~Product.id=7'], ['Product.id=5'])).toEqual([
      '~Product.id=5',
      'Product.id=6',
      '~Product.id=7',
    ]);
    expect(splitInPlace(['~Product.id=5', 'Product.id=6', '~Product.id=6'])).toEqual({
      tags: ['Product.id=5', 'Product.id=6'],
      inPlace: ['Product.id=5'],
    });
  });
});

describe('InvalidationBus messages', () => {
  const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let received: string[][];
  let bus: InvalidationBus;
  let sender: InvalidationBus;
  let raw: Redis;
  let listener: Redis;
  let wire: unknown[];

  beforeAll(async () => {
    received = [];
    wire = [];
    bus = new InvalidationBus(REDIS_URL, silentLogger, (tags) => received.push(tags));
    sender = new InvalidationBus(REDIS_URL, silentLogger, () => {});
    await Promise.all([bus.ready(5_000), sender.ready(5_000)]);
    raw = new Redis(REDIS_URL);
    // A router of before in-place changes reads only `tags`: what it would see.
    listener = new Redis(REDIS_URL);
    listener.on('message', (_channel: string, message: string) => wire.push(JSON.parse(message)));
    await listener.subscribe(ENTITY_CHANGES_CHANNEL);
  });
  afterAll(async () => {
    await bus.close();
    await sender.close();
    raw.disconnect();
    listener.disconnect();
  });

  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('no message');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  // Other test files publish on the same channel of the same Redis at the same time: each test's tags are of a type
  // of its own, and only messages naming that type count.
  const TYPE = `Probe${process.pid}x${Date.now()}`;
  const mine = (tags: string[]) => tags.some((tag) => tag.replace(/^~/, '').startsWith(`${TYPE}.`));

  it('reads an older writer’s message (tags only) as whole changes, and a newer one’s in-place list', async () => {
    await raw.publish(ENTITY_CHANGES_CHANNEL, JSON.stringify({ tags: [`${TYPE}.id=1`] }));
    await raw.publish(ENTITY_CHANGES_CHANNEL, JSON.stringify({ tags: [`${TYPE}.id=2`, `${TYPE}.id=3`], inPlace: [`${TYPE}.id=2`] }));
    await until(() => received.filter(mine).length === 2);
    expect(received.filter(mine)).toEqual([[`${TYPE}.id=1`], [`~${TYPE}.id=2`, `${TYPE}.id=3`]]);
  });

  it('publishes plain tags with the in-place list, which another router reads back as marked', async () => {
    expect(await sender.publish([`~${TYPE}.id=5`, `${TYPE}.id=6`])).toBe(true);
    // What a router of before in-place changes would read: the plain tags (and the list it ignores).
    const fromRouter = () => wire.filter((message) => mine((message as { tags: string[] }).tags) && (message as { from?: unknown }).from);
    await until(() => received.filter(mine).length === 3 && fromRouter().length === 1);
    expect(received.filter(mine)[2]).toEqual([`~${TYPE}.id=5`, `${TYPE}.id=6`]);
    expect(fromRouter()).toEqual([{ tags: [`${TYPE}.id=5`, `${TYPE}.id=6`], inPlace: [`${TYPE}.id=5`], from: expect.any(String) }]);
  });
});
