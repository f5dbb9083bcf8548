import { type DocumentNode, Kind } from 'graphql';
import { linkedFeatures } from './prepareSupergraph';

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
