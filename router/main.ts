import '../shared/telemetry/register';
import { createLogger, runMain } from '../shared';
import { createRouter } from './createRouter';
import { readRouterConfig } from './RouterConfig';

// Unless this is set, @apollo/gateway's constructor starts a meter provider that sends anonymous usage metrics to
// Apollo (usage-reporting.api.apollographql.com) every hour and asks the AWS, GCP, Azure and Alibaba metadata
// endpoints where it runs. A self-hosted router calls nowhere it was not told to: off unless the operator sets
// APOLLO_TELEMETRY_DISABLED=false.
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

runMain('router', process.env, async (env) => {
  const config = readRouterConfig(env);
  const logger = createLogger('router', config.logLevel, config.logFormat);
  const router = await createRouter({ config, logger });
  const { port, adminPort } = await router.listen();
  logger.info({ port, adminPort, supergraph: config.supergraphPath }, `router at http://localhost:${port}/graphql`);
  return { logger, stop: () => router.stop() };
});
