import 'reflect-metadata';
import { createLogger, describeDatabase, openDataSource, runMain } from '../../shared';
import { productDatabase } from './database';
import { readProductConfig } from './ProductConfig';
import { createProductSubgraph } from './server';

runMain('product', async () => {
  const config = readProductConfig(process.env);
  const logger = createLogger('product', config.logLevel);
  const { dataSource } = await openDataSource(config.database, productDatabase);
  const subgraph = await createProductSubgraph({ dataSource, config, logger });
  const port = await subgraph.listen(config.port);
  logger.info({ port, database: describeDatabase(config.database) }, `product subgraph at http://localhost:${port}/graphql`);
  return {
    logger,
    stop: async () => {
      await subgraph.stop();
      await dataSource.destroy();
    },
  };
});
