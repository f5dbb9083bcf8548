import type { BaseContext } from '@apollo/server';
import type { DataSource } from 'typeorm';
import { describeDatabase } from '../db/DatabaseConfig';
import { type OpenDataSourceOptions, openDataSource } from '../db/openDataSource';
import type { SubgraphName } from '../defaults';
import type { Env } from '../env';
import { createLogger, type Logger } from '../logger';
import { runMain } from '../runMain';
import type { SubgraphServer } from './createSubgraphServer';
import type { SubgraphConfig } from './SubgraphConfig';

/**
 * A subgraph's `main`: read its config, open (and migrate) its database, build it with its factory,
 * listen; on SIGTERM stop accepting, finish in-flight requests, close the pool.
 */
export function runSubgraph<TConfig extends SubgraphConfig, TContext extends BaseContext>(options: {
  name: SubgraphName;
  readConfig: (env: Env) => TConfig;
  database: OpenDataSourceOptions;
  create: (deps: { dataSource: DataSource; config: TConfig; logger: Logger }) => Promise<SubgraphServer<TContext>>;
}): void {
  runMain(options.name, process.env, async (env) => {
    const config = options.readConfig(env);
    const logger = createLogger(options.name, config.logLevel, config.logFormat);
    const { dataSource } = await openDataSource(config.database, { ...options.database, logger });
    const subgraph = await options.create({ dataSource, config, logger });
    const port = await subgraph.listen(config.port);
    logger.info({ port, database: describeDatabase(config.database) }, `${options.name} subgraph at http://localhost:${port}/graphql`);
    return {
      logger,
      stop: async () => {
        await subgraph.stop();
        await dataSource.destroy();
      },
    };
  });
}
