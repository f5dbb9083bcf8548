import DataLoader from 'dataloader';
import { type DataSource, In } from 'typeorm';
import { createChildrenLoader, readWith } from '../../shared';
import { tracedBatch } from '../../shared/telemetry';
import { Address } from './entities/Address';
import { User } from './entities/User';

/** Upper bound of ids in one `IN (...)` list. */
export const MAX_BATCH_SIZE = 500;

export interface AccountLoaders {
  userById: DataLoader<number, User | null>;
  addressesByUserId: DataLoader<number, Address[]>;
}

/**
 * Made per request (never shared: a loader caches what one caller was allowed to see). Replica reads keep the
 * caller's own writes visible (`readWith`).
 */
export function createLoaders(dataSource: DataSource): AccountLoaders {
  const addresses = dataSource.getRepository(Address);
  return {
    addressesByUserId: createChildrenLoader(addresses, { parentProperty: 'userId', maxBatchSize: MAX_BATCH_SIZE, read: 'replica' }),
    userById: new DataLoader(
      tracedBatch('User.id', async (ids: readonly number[]) => {
        const found = await readWith(dataSource, 'replica', (manager) => manager.getRepository(User).findBy({ id: In([...ids]) }));
        const byId = new Map(found.map((user) => [user.id, user]));
        return ids.map((id) => byId.get(id) ?? null);
      }),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
  };
}
