import 'reflect-metadata';
import { createLogger, describeDatabase, openDataSource, runMain } from '../../shared';
import { orderDatabase } from './database';
import { readOrderConfig } from './OrderConfig';
import { createOrderSubgraph } from './server';

runMain('order', async () => {
  const config = readOrderConfig(process.env);
  const logger = createLogger('order', config.logLevel);
  const { dataSource } = await openDataSource(config.database, orderDatabase);
  const subgraph = await createOrderSubgraph({ dataSource, config, logger });
  const port = await subgraph.listen(config.port);
  logger.info({ port, database: describeDatabase(config.database) }, `order subgraph at http://localhost:${port}/graphql`);
  return {
    logger,
    stop: async () => {
      await subgraph.stop();
      await dataSource.destroy();
    },
  };
});
