import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { closeServer, createHttpServer, handleGraphQLRequest, listen, USER_ID_HEADER } from '../../shared';
import { silentLogger } from './subgraphHarness';

/** The cache-hint directive and its scope, as a subgraph that gives hints declares them. */
export const CACHE_CONTROL = `
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  enum CacheControlScope { PUBLIC PRIVATE }`;

/** Who a subgraph of `startHintedSubgraph` saw ask: the identity header the router sets, or `anonymous`. */
export type Seen = { viewer: string };

export interface HintedSubgraph {
  url: string;
  stop(): Promise<void>;
}

/**
 * A small subgraph over fixed data (Apollo Server, so its cache hints become its `Cache-Control`), on a free port,
 * whose resolvers see the caller the router names (`context.viewer`).
 */
export async function startHintedSubgraph(definition: { typeDefs: string; resolvers: unknown }): Promise<HintedSubgraph> {
  const apollo = new ApolloServer<Seen>({
    schema: buildSubgraphSchema({ typeDefs: parse(definition.typeDefs), resolvers: definition.resolvers as never }),
    logger: silentLogger,
  });
  await apollo.start();
  const server: http.Server = createHttpServer(
    [
      {
        path: '/graphql',
        handler: (req, res, url) =>
          handleGraphQLRequest(req, res, url, {
            server: apollo,
            context: async (request) => ({ viewer: String(request.headers[USER_ID_HEADER] ?? 'anonymous') }),
            maxBodyBytes: 1 << 20,
          }),
      },
    ],
    (error) => silentLogger.error({ err: error }, 'subgraph failed'),
  );
  const url = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/graphql`;
  return {
    url,
    async stop() {
      await closeServer(server);
      await apollo.stop();
    },
  };
}
