import 'reflect-metadata';
import { createLogger, describeDatabase, openDataSource, readSubgraphConfig, runMain } from '../../shared';
import { accountDatabase } from './database';
import { createAccountSubgraph } from './server';

runMain('account', async () => {
  const config = readSubgraphConfig(process.env, 'account');
  const logger = createLogger('account', config.logLevel);
  const { dataSource } = await openDataSource(config.database, accountDatabase);
  const subgraph = await createAccountSubgraph({ dataSource, config, logger });
  const port = await subgraph.listen(config.port);
  logger.info({ port, database: describeDatabase(config.database) }, `account subgraph at http://localhost:${port}/graphql`);
  return {
    logger,
    stop: async () => {
      await subgraph.stop();
      await dataSource.destroy();
    },
  };
});
