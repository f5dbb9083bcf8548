import { type ConstDirectiveNode, type DocumentNode, Kind, parse, print, visit } from 'graphql';

/** Features linked `for: SECURITY` that this router enforces itself (see `authorization/AuthorizationPolicy.ts`). */
export const ENFORCED_SECURITY_FEATURES = new Set(['https://specs.apollo.dev/authenticated', 'https://specs.apollo.dev/requiresScopes']);
/** Features linked `for: EXECUTION` that the gateway itself executes. */
export const GATEWAY_EXECUTION_FEATURES = new Set(['https://specs.apollo.dev/join']);

export class SupergraphRefused extends Error {
  override readonly name = 'SupergraphRefused';
}

/** One `@link` of a supergraph: the feature's identity (URL without version), its purpose and local name. */
export interface LinkedFeature {
  identity: string;
  version: string;
  purpose: string | null;
  /** The name its main directive has in this document (`as:`, else the feature's own name). */
  directiveName: string;
}

function argument(directive: ConstDirectiveNode, name: string): string | null {
  const value = directive.arguments?.find((arg) => arg.name.value === name)?.value;
  if (!value) return null;
  return value.kind === Kind.STRING || value.kind === Kind.ENUM ? value.value : null;
}

export function linkedFeatures(document: DocumentNode): LinkedFeature[] {
  const features: LinkedFeature[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = argument(directive, 'url') ?? '';
      const match = /^(.*)\/(v\d+\.\d+)$/.exec(url);
      const identity = match ? match[1] : url;
      features.push({
        identity,
        version: match ? match[2] : '',
        purpose: argument(directive, 'for'),
        directiveName: argument(directive, 'as') ?? identity.slice(identity.lastIndexOf('/') + 1),
      });
    }
  }
  return features;
}

/** What the router needs from a supergraph: the full document (with security directives) and a copy the gateway accepts. */
export interface PreparedSupergraph {
  /** The supergraph as composed, `@authenticated` and `@requiresScopes` included: the router's authorization reads it. */
  document: DocumentNode;
  /** The same supergraph without the security features the router enforces, which stock `@apollo/gateway` refuses to load. */
  gatewaySdl: string;
  /** Local names of the enforced security directives, e.g. `{ authenticated: 'authenticated', requiresScopes: 'requiresScopes' }`. */
  securityDirectives: { authenticated: string | null; requiresScopes: string | null };
}

/**
 * Checks a supergraph's linked features and prepares the copy for the gateway. A feature linked
 * `for: SECURITY` or `for: EXECUTION` that nobody here enforces (`@policy`, an unknown spec) makes the
 * router refuse the supergraph: serving it would silently drop a rule its authors relied on.
 */
export function prepareSupergraph(sdl: string): PreparedSupergraph {
  const document = parse(sdl);
  const features = linkedFeatures(document);
  const refused = features.filter(
    (feature) =>
      (feature.purpose === 'SECURITY' && !ENFORCED_SECURITY_FEATURES.has(feature.identity)) ||
      (feature.purpose === 'EXECUTION' && !GATEWAY_EXECUTION_FEATURES.has(feature.identity)),
  );
  if (refused.length > 0) {
    throw new SupergraphRefused(
      `The supergraph links ${refused.map((f) => `${f.identity}/${f.version} (for: ${f.purpose})`).join(', ')}, which this router does not enforce; refusing to serve it.`,
    );
  }
  const enforced = features.filter((feature) => ENFORCED_SECURITY_FEATURES.has(feature.identity));
  const nameOf = (spec: string) => enforced.find((feature) => feature.identity.endsWith(`/${spec}`))?.directiveName ?? null;
  const removedDirectives = new Set(enforced.map((feature) => feature.directiveName));
  const removedUrls = new Set(enforced.map((feature) => `${feature.identity}/${feature.version}`));
  const ownsName = (name: string) => [...removedDirectives].some((directive) => name.startsWith(`${directive}__`));
  const gatewayDocument = visit(document, {
    Directive(node) {
      if (removedDirectives.has(node.name.value)) return null;
      if (node.name.value === 'link') {
        const url = node.arguments?.find((arg) => arg.name.value === 'url')?.value;
        if (url?.kind === Kind.STRING && removedUrls.has(url.value)) return null;
      }
      return undefined;
    },
    DirectiveDefinition(node) {
      return removedDirectives.has(node.name.value) ? null : undefined;
    },
    ScalarTypeDefinition(node) {
      return ownsName(node.name.value) ? null : undefined;
    },
  });
  return {
    document,
    gatewaySdl: print(gatewayDocument),
    securityDirectives: { authenticated: nameOf('authenticated'), requiresScopes: nameOf('requiresScopes') },
  };
}
