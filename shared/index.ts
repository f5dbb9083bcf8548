/** The shared public surface of the router and the subgraphs. Import from here, not from files inside. */

export type { Caller, DenialCode, Requirement } from './authorization';
export { denialFor, denialMessage, mergeRequirements, requirementOf } from './authorization';
export type { DatabaseConfig, MysqlDatabaseConfig, MysqlServerConfig, ReplicationConfig, SqliteDatabaseConfig } from './db/DatabaseConfig';
export { describeDatabase, parseMysqlUrl, readDatabaseConfig } from './db/DatabaseConfig';
export { deadlineErrorOf, isDatabaseOverload, isDatabaseUnavailable } from './db/databaseErrors';
export type { GtidDialect, GtidFlavor, GtidPosition } from './db/gtid';
export { gtidDialect, parseMariadbPosition, parseMysqlGtidSet } from './db/gtid';
export { inTransaction } from './db/inTransaction';
export type { BatchOptions, PageKey } from './db/loaders';
export { createChildrenLoader, createKeyLoader, createPageLoader, MAX_BATCH_SIZE } from './db/loaders';
export type { ServerName } from './db/mysqlPools';
export { mysqlPools, PRIMARY, replicaName } from './db/mysqlPools';
export type { OpenDataSourceOptions, OpenedDataSource } from './db/openDataSource';
export { createDatabaseIfMissing, openDataSource, runMigrations, statementTimeoutStatement } from './db/openDataSource';
export { hydrateRows, pagesByParent } from './db/pagesByParent';
export type { DriverKind } from './db/portableColumn';
export { exactTextColumn, PortableColumn, timestampColumn } from './db/portableColumn';
export type { ReplicaHealth, ReplicaState } from './db/ReplicaMonitor';
export { ReplicaMonitor } from './db/ReplicaMonitor';
export type { FallbackReason, ReadMode } from './db/ReplicaReads';
export { forwardedCallerHeaders, ReplicaReads, readWith, settleWrites, withReadScope } from './db/ReplicaReads';
export type { StatementsByDriver } from './db/SqlMigration';
export { sqlMigration } from './db/SqlMigration';
export { StatementCounter } from './db/StatementCounter';
export type { WritePositions } from './db/WritePositions';
export { MemoryWritePositions, RedisWritePositions } from './db/WritePositions';
export { checkDeadline, DeadlineExceeded, guardStatement, TIME_LEFT_HEADER, timeLeftOf, withRequestDeadline } from './deadline';
export type { SubgraphName } from './defaults';
export {
  DATABASE_NAMES,
  DEFAULT_DATA_DIR,
  DEFAULT_PORTS,
  DEFAULT_SUPERGRAPH_PATH,
  SUBGRAPH_KEEP_ALIVE_TIMEOUT_MS,
  SUBGRAPH_NAMES,
} from './defaults';
export {
  changedInPlace,
  changedTags,
  collectingChanges,
  declareChanged,
  declareChangedInPlace,
  ENTITY_CACHE_REDIS_OPTIONS,
  ENTITY_CHANGES_CHANNEL,
  ENTITY_CHANGES_EXTENSION,
  ENTITY_CHANGES_IN_PLACE_EXTENSION,
  EntityChangePublisher,
  entityTag,
  IN_PLACE_PREFIX,
  markInPlace,
  publishChanges,
  splitInPlace,
  stableJson,
} from './entityChanges';
export type { Env } from './env';
export { ConfigError, readBoolean, readEnum, readInteger, readOptionalString, readPort, readString, readUrl, redactUrl } from './env';
export type { ErrorCodeDefinition, ErrorKind, ErrorSender } from './errorRegistry';
export { ERROR_REGISTRY, ErrorCode, isErrorCode, REQUEST_ERROR_CODES } from './errorRegistry';
export {
  AppError,
  BadUserInput,
  InvalidCursor,
  maskUnexpectedError,
  PageSizeExceeded,
  ServiceUnavailable,
  Unauthenticated,
  withoutStackTrace,
} from './errors';
export type { RawOperation } from './http/graphqlHttp';
export { handleGraphQLRequest } from './http/graphqlHttp';
export type { RequestHandler, Route } from './http/http';
export { closeServer, createHttpServer, HttpError, listen, readBody, sendHttpError, sendJson } from './http/http';
export type { ServerLimits } from './http/serverLimits';
export { DEFAULT_SERVER_LIMITS, readServerLimits } from './http/serverLimits';
export {
  callerFrom,
  developmentSubgraphSecret,
  ROUTER_CREDENTIAL_HEADER,
  secretsMatch,
  USER_ID_HEADER,
  USER_SCOPES_HEADER,
} from './identity';
export { hasBearerToken } from './internalAuth';
export type { LogFormat } from './logFormat';
export { readLogFormat } from './logFormat';
export type { Logger } from './logger';
export { createLogger, fixedFieldsLogger, REDACTED_PATHS } from './logger';
export { onBatch, recordBatch } from './metrics/batches';
export type { Outcome } from './metrics/Metrics';
export { BoundedLabel, type ClientLabelPatterns, ClientLabels, Metrics, metricsRoute, requestMetricsPlugin } from './metrics/Metrics';
export type { Money } from './money';
export { minorDigitsOf, money } from './money';
export type { Connection, PageRequest } from './pagination';
export { connectionFrom, decodeCursor, encodeCursor, pageSize } from './pagination';
export { projectPath } from './projectPath';
export { ownValue, ResponseObject, type ResponseRow } from './responseObject';
export { runMain } from './runMain';
export { StringMemo } from './StringMemo';
export { dateTimeScalar, parseId } from './scalars';
export { refuseShippedSecrets, SHIPPED_SECRET_VALUES } from './shippedSecrets';
export type {
  ConfirmAnswer,
  ReleaseAnswer,
  RequestedLine,
  ReservationKeyRequest,
  ReserveAnswer,
  ReservedLine,
  ReserveRequest,
  StockApiRefusal,
} from './stockApi';
export { MAX_QUANTITY_PER_LINE, MAX_RESERVATION_LINES, RESERVATION_KEY_PATTERN, STOCK_API_PATHS, STOCK_API_REFUSALS } from './stockApi';
export type { SubgraphServer, SubgraphServerOptions } from './subgraph/createSubgraphServer';
export { createSubgraphServer } from './subgraph/createSubgraphServer';
export { enforceAuthorization } from './subgraph/enforceAuthorization';
export { runSubgraph } from './subgraph/runSubgraph';
export type { SubgraphConfig } from './subgraph/SubgraphConfig';
export { DEVELOPMENT_INTERNAL_API_TOKEN, readInternalApiToken, readSecret, readSubgraphConfig } from './subgraph/SubgraphConfig';
export { shutdownTelemetry, tracedBatch } from './telemetry';
