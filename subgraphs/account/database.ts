import { Address } from './entities/Address';
import { User } from './entities/User';
import { accountMigrations } from './migrations';

/** The account subgraph's entities and migrations, for `openDataSource` and the migration tooling. */
export const accountDatabase = { entities: [User, Address], migrations: accountMigrations };
