import { type ConstDirectiveNode, type DocumentNode, Kind, parse, print, visit } from 'graphql';
import { ENFORCED_SECURITY_FEATURES, supportOf } from './featureSupport';

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
      // `@core(feature:)` is how Fed 1 supergraphs (core v0.1/v0.2) link what `@link(url:)` links in Fed 2.
      if (directive.name.value !== 'link' && directive.name.value !== 'core') continue;
      const url = argument(directive, directive.name.value === 'link' ? 'url' : 'feature') ?? '';
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
 * Checks a supergraph's linked features and prepares the copy for the gateway. What the gateway implements
 * (join, tag, inaccessible) and what the router enforces itself pass; a feature linked `for: SECURITY` or
 * `for: EXECUTION` that nobody here implements (`@policy`, `@context`, an unknown spec) makes the router
 * refuse the supergraph, as stock `@apollo/gateway` does: serving it would silently drop a rule its authors
 * relied on, or answer fields without what they depend on. See `featureSupport.ts`.
 */
export function prepareSupergraph(sdl: string): PreparedSupergraph {
  const document = parse(sdl);
  const features = linkedFeatures(document);
  const refused = features.flatMap((feature) => {
    const support = supportOf(feature);
    return support.by === 'refused' ? [`${feature.identity}/${feature.version} (for: ${feature.purpose}): ${support.reason}`] : [];
  });
  if (refused.length > 0) {
    throw new SupergraphRefused(`Refusing the supergraph, as stock @apollo/gateway does: it links ${refused.join('; and ')}.`);
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
