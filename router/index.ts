/**
 * What the router offers to scripts and tests: import from here, not from files inside. The gateway fast paths'
 * internals (`gateway/fastPaths/resultShaping.ts`, `operationReuse.ts`) are not offered: only their tests
 * reach into them.
 */

export type { AuthConfig, Authenticator } from './auth/createAuthenticator';
export { AuthenticationFailed, createAuthenticator } from './auth/createAuthenticator';
export type { TokenClaims } from './auth/signDevelopmentToken';
export { signDevelopmentToken } from './auth/signDevelopmentToken';
export { AuthorizationPolicy } from './authorization/AuthorizationPolicy';
export { createRouter } from './createRouter';
export { CostEstimator, InvalidVariables } from './demand/CostEstimator';
export { CostModel } from './demand/CostModel';
export type { DemandControlConfig } from './demand/DemandControlConfig';
export { readDemandControlConfig } from './demand/DemandControlConfig';
export { ThrottleMemory } from './demand/ThrottleMemory';
export { TrustedProxies } from './demand/TrustedProxies';
export { activeGatewayFastPaths, gatewayFastPathCalls, installGatewayFastPaths } from './gateway/fastPaths/installGatewayFastPaths';
export { installedVersions, TESTED_VERSIONS } from './gateway/fastPaths/versionCheck';
export type { RouterStats } from './metrics/RouterStats';
export type { Manifest, TrustedDocumentsMode } from './persisted/TrustedDocuments';
export { buildManifest, documentId, TrustedDocuments } from './persisted/TrustedDocuments';
export type { Router } from './Router';
export type { RouterConfig } from './RouterConfig';
export { DEVELOPMENT_JWT_SECRET, readRouterConfig, subgraphSecretFor } from './RouterConfig';
export type { RouterContext } from './RouterContext';
export { CircuitBreaker } from './resilience/CircuitBreaker';
export { backoffDelay, RetryBudget } from './resilience/RetryBudget';
export { checkSubgraphLinks, checkSupergraph } from './supergraph/checkSupergraph';
export type { PreparedSupergraph } from './supergraph/prepareSupergraph';
export { prepareSupergraph, SupergraphRefused } from './supergraph/prepareSupergraph';
export { subgraphsOf } from './supergraph/subgraphsOf';
export { coordinatesOf, inputCoordinatesOf, inputVariablesOf } from './usage/coordinatesOf';
export { routerDatabase } from './usage/database';
export { UsageRecorder } from './usage/UsageRecorder';
export type { CoordinateUse, UsageRow, UsageTraffic } from './usage/UsageStore';
export { readUsageDatabaseConfig, UsageStore, usedDocumentId } from './usage/UsageStore';
export { PlanWarmer, type WarmDocument, type WarmupReport } from './warmup/PlanWarmer';
export { placeholderVariables } from './warmup/placeholderVariables';
