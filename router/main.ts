import '../shared/telemetry/register';
import { createLogger, runMain } from '../shared';
import { createRouter } from './createRouter';
import { readRouterConfig } from './RouterConfig';

runMain('router', process.env, async (env) => {
  const config = readRouterConfig(env);
  const logger = createLogger('router', config.logLevel, config.logFormat);
  const router = await createRouter({ config, logger });
  const { port, adminPort } = await router.listen();
  logger.info({ port, adminPort, supergraph: config.supergraphPath }, `router at http://localhost:${port}/graphql`);
  return { logger, stop: () => router.stop() };
});
