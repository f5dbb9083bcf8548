import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES } from '@apollo/federation-internals';

/** One `@link` (or Fed 1 `@core`) of a supergraph, as `supportOf` judges it. */
export interface FeatureLink {
  /** The feature's URL without its version, e.g. `https://specs.apollo.dev/inaccessible`. */
  identity: string;
  /** `v0.2`; empty when the URL has none. */
  version: string;
  purpose: string | null;
}

/**
 * Who executes or enforces a linked feature: `gateway` (`@apollo/gateway` itself: join, tag, inaccessible),
 * `router` (this router enforces it and hands the gateway a copy without it: `@authenticated`,
 * `@requiresScopes`), `ignored` (linked without `for:`, so nothing depends on it being applied: `@cost`,
 * `@composeDirective` links), or `refused`, with the reason a user is told.
 */
export type FeatureSupport = { by: 'gateway' | 'router' | 'ignored' } | { by: 'refused'; reason: string };

/** Features linked `for: SECURITY` that this router enforces itself (see `authorization/AuthorizationPolicy.ts`). */
export const ENFORCED_SECURITY_FEATURES = new Set(['https://specs.apollo.dev/authenticated', 'https://specs.apollo.dev/requiresScopes']);

/** Why a feature the gateway does not implement cannot be served, for the ones Apollo specifies. */
const UNSUPPORTED_FEATURES: Record<string, string> = {
  'https://specs.apollo.dev/context':
    'it uses @context/@fromContext, which @apollo/gateway does not execute (its query planner passes no context values), so fields with @fromContext arguments would be answered without them',
  'https://specs.apollo.dev/policy':
    'it restricts access with @policy, which needs a coprocessor to decide each policy and nobody here enforces, so serving it would drop the rule',
  'https://specs.apollo.dev/connect': 'it uses @connect (Apollo Connectors), which no Node gateway executes',
};

/**
 * Whether the router can serve a supergraph that links `feature`. The rule is stock `@apollo/gateway`'s (it
 * refuses every feature linked `for: SECURITY` or `for: EXECUTION` it does not implement, as its
 * `DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES` lists them), except for the features the router enforces itself.
 * A feature without a purpose is never refused: the spec says a consumer that does not know it may ignore it.
 */
export function supportOf(feature: FeatureLink): FeatureSupport {
  if (feature.purpose !== 'SECURITY' && feature.purpose !== 'EXECUTION') return { by: 'ignored' };
  if (ENFORCED_SECURITY_FEATURES.has(feature.identity)) return { by: 'router' };
  if (DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES.has(`${feature.identity}/${feature.version}`)) return { by: 'gateway' };
  const known = [...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES].filter((url) => url.startsWith(`${feature.identity}/`));
  if (known.length > 0) {
    const versions = known.map((url) => url.slice(url.lastIndexOf('/') + 1)).join(', ');
    return { by: 'refused', reason: `@apollo/gateway implements only ${versions} of this feature` };
  }
  return {
    by: 'refused',
    reason:
      UNSUPPORTED_FEATURES[feature.identity] ??
      `neither @apollo/gateway nor this router implements it, and a feature linked for ${feature.purpose} must not be ignored`,
  };
}
