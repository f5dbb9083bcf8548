import '../../shared/telemetry/register';
import 'reflect-metadata';
import { runSubgraph } from '../../shared';
import { orderDatabase } from './database';
import { readOrderConfig } from './OrderConfig';
import { createOrderSubgraph } from './server';

runSubgraph({ name: 'order', readConfig: readOrderConfig, database: orderDatabase, create: createOrderSubgraph });
