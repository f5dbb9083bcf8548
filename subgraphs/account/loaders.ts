import type DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { createChildrenLoader, createKeyLoader } from '../../shared';
import { Address } from './entities/Address';
import { User } from './entities/User';

export interface AccountLoaders {
  userById: DataLoader<number, User | null>;
  addressesByUserId: DataLoader<number, Address[]>;
}

/**
 * Made per request (never shared: a loader caches what one caller was allowed to see). Replica reads keep the
 * caller's own writes visible (`readWith`).
 */
export function createLoaders(dataSource: DataSource): AccountLoaders {
  return {
    userById: createKeyLoader(dataSource.getRepository(User), { key: 'id', read: 'replica' }),
    addressesByUserId: createChildrenLoader(dataSource.getRepository(Address), { parentProperty: 'userId', read: 'replica' }),
  };
}
