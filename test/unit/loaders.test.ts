import type { DataSource } from 'typeorm';
import { createLoaders } from '../../subgraphs/account/loaders';

/** A DataSource whose repository records every batch instead of querying. */
function recordingDataSource(rows: { id: number; name: string }[]) {
  const batches: number[][] = [];
  const repository: Record<string, unknown> = {
    findBy: async (where: { id: { value: number[] } }) => {
      batches.push([...where.id.value]);
      return rows.filter((row) => where.id.value.includes(row.id));
    },
  };
  // Loaders read through the DataSource's manager (a replica's, when it has replicas).
  const dataSource = { getRepository: () => repository, manager: { getRepository: () => repository } } as unknown as DataSource;
  repository.manager = { connection: dataSource };
  return { dataSource, batches };
}

describe('loaders', () => {
  it('turn N loads in one tick into one batch, answered in key order with null for a miss', async () => {
    const { dataSource, batches } = recordingDataSource([
      { id: 1, name: 'a' },
      { id: 3, name: 'c' },
    ]);
    const loaders = createLoaders(dataSource);
    const results = await Promise.all([3, 2, 1, 3].map((id) => loaders.userById.load(id)));
    expect(results.map((user) => user?.name ?? null)).toEqual(['c', null, 'a', 'c']);
    expect(batches).toEqual([[3, 2, 1]]);
  });

  it('are per request: a new set does not see what another cached', async () => {
    const { dataSource, batches } = recordingDataSource([{ id: 1, name: 'a' }]);
    await createLoaders(dataSource).userById.load(1);
    await createLoaders(dataSource).userById.load(1);
    expect(batches).toEqual([[1], [1]]);
  });

  it('keep an IN (...) list bounded however many keys arrive', async () => {
    const { dataSource, batches } = recordingDataSource([]);
    const loaders = createLoaders(dataSource);
    await Promise.all(Array.from({ length: 1200 }, (_, i) => loaders.userById.load(i + 1)));
    expect(batches.map((batch) => batch.length)).toEqual([500, 500, 200]);
  });
});
