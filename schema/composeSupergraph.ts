import fs from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { DEFAULT_PORTS, projectPath, SUBGRAPH_NAMES, type SubgraphName } from '../shared';

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

/** A composition error, attributed to the subgraph(s) it names when composition says so. */
export interface CompositionProblem {
  code: string;
  message: string;
  subgraphs: string[];
}

export type CompositionResult = { ok: true; supergraphSdl: string } | { ok: false; problems: CompositionProblem[] };

/** The URL recorded for a subgraph in the committed supergraph: where `npm start` runs it. */
export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://localhost:${DEFAULT_PORTS[name]}/graphql`;
}

/** Reads `subgraphs/<name>/schema.graphql` of every subgraph. */
export function readSubgraphSources(): SubgraphSource[] {
  return SUBGRAPH_NAMES.map((name) => ({
    name,
    url: defaultSubgraphUrl(name),
    sdl: fs.readFileSync(projectPath('subgraphs', name, 'schema.graphql'), 'utf8'),
  }));
}

/** Composes subgraph SDL into a supergraph with `@apollo/composition` (no running service needed). */
export function composeSupergraph(sources: SubgraphSource[]): CompositionResult {
  const services = [];
  const problems: CompositionProblem[] = [];
  for (const source of sources) {
    try {
      services.push({ name: source.name, url: source.url, typeDefs: parse(source.sdl) });
    } catch (error) {
      problems.push({ code: 'INVALID_GRAPHQL', message: (error as Error).message, subgraphs: [source.name] });
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
      })),
    };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl };
}
