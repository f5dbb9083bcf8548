import DataLoader from 'dataloader';
import { type DataSource, In } from 'typeorm';
import { User } from './entities/User';

/** Upper bound of ids in one `IN (...)` list. */
export const MAX_BATCH_SIZE = 500;

export interface AccountLoaders {
  userById: DataLoader<number, User | null>;
}

/** Made per request (never shared: a loader caches what one caller was allowed to see). */
export function createLoaders(dataSource: DataSource): AccountLoaders {
  const users = dataSource.getRepository(User);
  return {
    userById: new DataLoader(
      async (ids) => {
        const found = await users.findBy({ id: In([...ids]) });
        const byId = new Map(found.map((user) => [user.id, user]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
  };
}
