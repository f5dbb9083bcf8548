import DataLoader from 'dataloader';
import { type DataSource, In } from 'typeorm';
import { createChildrenLoader } from '../../shared';
import { tracedBatch } from '../../shared/telemetry';
import { Address } from './entities/Address';
import { User } from './entities/User';

/** Upper bound of ids in one `IN (...)` list. */
export const MAX_BATCH_SIZE = 500;

export interface AccountLoaders {
  userById: DataLoader<number, User | null>;
  addressesByUserId: DataLoader<number, Address[]>;
}

/** Made per request (never shared: a loader caches what one caller was allowed to see). */
export function createLoaders(dataSource: DataSource): AccountLoaders {
  const users = dataSource.getRepository(User);
  const addresses = dataSource.getRepository(Address);
  return {
    addressesByUserId: createChildrenLoader(addresses, { parentProperty: 'userId', maxBatchSize: MAX_BATCH_SIZE }),
    userById: new DataLoader(
      tracedBatch('User.id', async (ids: readonly number[]) => {
        const found = await users.findBy({ id: In([...ids]) });
        const byId = new Map(found.map((user) => [user.id, user]));
        return ids.map((id) => byId.get(id) ?? null);
      }),
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
  };
}
