import '../../shared/telemetry/register';
import 'reflect-metadata';
import { readSubgraphConfig, runSubgraph } from '../../shared';
import { accountDatabase } from './database';
import { createAccountSubgraph } from './server';

runSubgraph({
  name: 'account',
  readConfig: (env) => readSubgraphConfig(env, 'account'),
  database: accountDatabase,
  create: createAccountSubgraph,
});
