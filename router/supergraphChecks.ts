import { Supergraph } from '@apollo/federation-internals';
import { type DocumentNode, Kind } from 'graphql';
import { linkedFeatures, type PreparedSupergraph, prepareSupergraph, SupergraphRefused } from './supergraph';

/** The subgraphs a supergraph names (`@join__graph(name:, url:)` on the `join__Graph` enum), with their URLs. */
export function subgraphsOf(document: DocumentNode): { name: string; url: string }[] {
  const join = linkedFeatures(document).find((feature) => feature.identity === 'https://specs.apollo.dev/join');
  const graphDirective = `${join?.directiveName ?? 'join'}__graph`;
  const subgraphs: { name: string; url: string }[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION) continue;
    for (const value of definition.values ?? []) {
      const directive = value.directives?.find((d) => d.name.value === graphDirective);
      if (!directive) continue;
      const text = (name: string) => {
        const argument = directive.arguments?.find((arg) => arg.name.value === name)?.value;
        return argument?.kind === Kind.STRING ? argument.value : '';
      };
      subgraphs.push({ name: text('name'), url: text('url') });
    }
  }
  return subgraphs;
}

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
