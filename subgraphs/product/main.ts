import '../../shared/telemetry/register';
import 'reflect-metadata';
import { runSubgraph } from '../../shared';
import { productDatabase } from './database';
import { readProductConfig } from './ProductConfig';
import { createProductSubgraph } from './server';

runSubgraph({ name: 'product', readConfig: readProductConfig, database: productDatabase, create: createProductSubgraph });
