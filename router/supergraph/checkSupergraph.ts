import { Supergraph } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { supportOf } from './featureSupport';
import { linkedFeatures, type PreparedSupergraph, prepareSupergraph, SupergraphRefused } from './prepareSupergraph';
import { subgraphsOf } from './subgraphsOf';

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** One line, whatever the error: what a start-up log line, `/health/ready` and `schema check` show. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Checks that the router can serve `sdl` and prepares it: it parses, it links only features someone here
 * implements (`prepareSupergraph`), every subgraph has an http(s) URL (its own, or the `<NAME>_URL`
 * override in `subgraphUrls`, keyed by upper-cased name), and `@apollo/gateway` accepts it as a supergraph
 * (the validation it would otherwise fail at load). Anything else is a SupergraphRefused with a one-line
 * reason: refused at start, and on reload the previous supergraph keeps serving.
 */
export function checkSupergraph(sdl: string, subgraphUrls: Readonly<Record<string, string>> = {}): PreparedSupergraph {
  let prepared: PreparedSupergraph;
  try {
    prepared = prepareSupergraph(sdl);
  } catch (error) {
    if (error instanceof SupergraphRefused) throw error;
    throw new SupergraphRefused(`The supergraph does not parse: ${oneLine(error)}`);
  }
  const subgraphs = subgraphsOf(prepared.document);
  const unusable = subgraphs.filter(({ name, url }) => !isHttpUrl(subgraphUrls[name.toUpperCase()] ?? url));
  if (unusable.length > 0) {
    const described = unusable.map(({ name, url }) => `"${name}" (${JSON.stringify(url)}; ${name.toUpperCase()}_URL overrides it)`);
    throw new SupergraphRefused(`The supergraph gives no http(s) URL for subgraph ${described.join(', ')}.`);
  }
  try {
    Supergraph.build(prepared.gatewaySdl, { validateSupergraph: true });
  } catch (error) {
    throw new SupergraphRefused(`The supergraph is not valid: ${oneLine(error)}`);
  }
  return prepared;
}

/**
 * Checks a subgraph's own links: one `for: SECURITY` or `for: EXECUTION` to a feature nobody here implements
 * (an in-house access rule brought in by `@composeDirective`, say) is refused. Composition keeps such a link in
 * the supergraph without its purpose, so the supergraph alone cannot show it and a router would serve it with
 * the rule ignored; `schema check` and `publish` call this before the supergraph exists.
 */
export function checkSubgraphLinks(subgraph: string, sdl: string): void {
  const refused = linkedFeatures(parse(sdl)).flatMap((feature) => {
    const support = supportOf(feature);
    return support.by === 'refused' ? [`${feature.identity}/${feature.version} (for: ${feature.purpose}): ${support.reason}`] : [];
  });
  if (refused.length > 0) {
    throw new SupergraphRefused(
      `Refusing subgraph ${subgraph}: it links ${refused.join('; and ')}. Composition would keep the link without its purpose, so a router would serve the supergraph with the rule ignored.`,
    );
  }
}
