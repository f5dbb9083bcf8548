import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { getLocation, parse, Source } from 'graphql';
import { DEFAULT_PORTS, projectPath, SUBGRAPH_NAMES, type SubgraphName } from '../shared';

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

/** A composition error, attributed to the subgraph(s) it names, with where in their SDL. */
export interface CompositionProblem {
  code: string;
  message: string;
  subgraphs: string[];
  locations: { subgraph: string; line: number; column: number }[];
}

export type CompositionResult = { ok: true; supergraphSdl: string } | { ok: false; problems: CompositionProblem[] };

/** The URL recorded for a subgraph in the committed supergraph: where `npm start` runs it. */
export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://localhost:${DEFAULT_PORTS[name]}/graphql`;
}

/** Reads `subgraphs/<name>/schema.graphql` of every subgraph, below `root` (the project by default). */
export function readSubgraphSources(root = projectPath()): SubgraphSource[] {
  return SUBGRAPH_NAMES.map((name) => ({
    name,
    url: defaultSubgraphUrl(name),
    sdl: fs.readFileSync(path.join(root, 'subgraphs', name, 'schema.graphql'), 'utf8'),
  }));
}

/** Composes subgraph SDL into a supergraph with `@apollo/composition` (no running service needed). */
export function composeSupergraph(sources: SubgraphSource[]): CompositionResult {
  const services = [];
  const problems: CompositionProblem[] = [];
  for (const source of sources) {
    try {
      // Named sources, so that composition errors point into the right subgraph's SDL.
      services.push({ name: source.name, url: source.url, typeDefs: parse(new Source(source.sdl, source.name)) });
    } catch (error) {
      const location = (error as { locations?: { line: number; column: number }[] }).locations?.[0];
      problems.push({
        code: 'INVALID_GRAPHQL',
        message: (error as Error).message,
        subgraphs: [source.name],
        locations: location ? [{ subgraph: source.name, ...location }] : [],
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const result = composeServices(services);
  if (result.errors) {
    const names = sources.map((source) => source.name);
    return {
      ok: false,
      problems: result.errors.map((error) => ({
        code: String(error.extensions?.code ?? 'COMPOSITION_ERROR'),
        message: error.message,
        // Composition names subgraphs in its messages ("subgraph \"product\""); keep those it names.
        subgraphs: names.filter((name) => error.message.includes(`"${name}"`)),
        locations: (error.nodes ?? []).flatMap((node) => {
          if (!node.loc || !names.includes(node.loc.source.name)) return [];
          const { line, column } = getLocation(node.loc.source, node.loc.start);
          return [{ subgraph: node.loc.source.name, line, column }];
        }),
      })),
    };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl };
}
