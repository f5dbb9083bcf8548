import { UsageRecorder, type UsageRow, type UsageStore } from '../../router';
import type { Logger } from '../../shared';

/** An in-memory stand-in for the usage store: this tests the recorder's counting, not the database. */
function memoryStore() {
  const written: UsageRow[] = [];
  const store = { add: async (rows: UsageRow[]) => void written.push(...rows), close: async () => {} } as unknown as UsageStore;
  return { store, written };
}

describe('UsageRecorder counting', () => {
  it('counts per UTC day, client, operation and coordinate, and starts a new day at midnight UTC', async () => {
    const { store, written } = memoryStore();
    const recorder = new UsageRecorder(store, {} as Logger, 60_000);
    const beforeMidnight = Date.UTC(2026, 10, 27, 23, 59, 59, 999);
    recorder.record(['Query.me', 'User.orders'], { name: 'web', version: '1.0' }, 'MyOrders', beforeMidnight);
    recorder.record(['Query.me'], { name: 'web', version: '1.0' }, 'MyOrders', beforeMidnight - 3_600_000);
    recorder.record(['Query.me'], { name: 'ios', version: '2.0' }, 'MyOrders', beforeMidnight);
    recorder.record(['Query.me'], { name: 'web', version: '1.0' }, 'MyOrders', beforeMidnight + 1);
    // A clock that goes back (another day than the one remembered) is counted on its own day.
    recorder.record(['Query.me'], { name: 'web', version: '1.0' }, 'MyOrders', new Date(Date.UTC(2026, 10, 20, 12)));
    await recorder.flush();
    const rows = written.map(({ day, client, coordinate, count }) => `${day} ${client} ${coordinate} ${count}`).sort();
    expect(rows).toEqual([
      '2026-11-20 web@1.0 Query.me 1',
      '2026-11-27 ios@2.0 Query.me 1',
      '2026-11-27 web@1.0 Query.me 2',
      '2026-11-27 web@1.0 User.orders 1',
      '2026-11-28 web@1.0 Query.me 1',
    ]);
    // Flushed counts are not written twice.
    written.length = 0;
    await recorder.flush();
    expect(written).toEqual([]);
  });
});
