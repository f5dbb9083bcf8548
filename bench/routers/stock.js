/**
 * The baseline: stock @apollo/gateway + @apollo/server with default settings (startStandaloneServer), changed
 * only where it must be to talk to our subgraphs: each subgraph request carries the router credential
 * (`x-router-credential`) and the caller's identity (`x-user-id`, `x-user-scopes`), which the load generator
 * sends as headers (this router verifies no token). It is fed the prepared supergraph (without the
 * `for: SECURITY` links stock gateway refuses), with the subgraph URLs of this bench run in it.
 *
 *   BENCH_SUPERGRAPH=file BENCH_PORT=5140 BENCH_SUBGRAPH_SECRET=… node routers/stock.js
 */
const fs = require('node:fs');
const { ApolloGateway, RemoteGraphQLDataSource } = require('@apollo/gateway');
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');

const secret = process.env.BENCH_SUBGRAPH_SECRET;
const IDENTITY = ['x-user-id', 'x-user-scopes'];

class DataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    request.http.headers.set('x-router-credential', secret);
    const incoming = context?.headers;
    if (!incoming) return;
    for (const name of IDENTITY) {
      const value = incoming[name];
      if (typeof value === 'string') request.http.headers.set(name, value);
    }
  }
}

async function main() {
  const gateway = new ApolloGateway({
    supergraphSdl: fs.readFileSync(process.env.BENCH_SUPERGRAPH, 'utf8'),
    buildService: ({ url }) => new DataSource({ url }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: Number(process.env.BENCH_PORT), host: '127.0.0.1' },
    context: async ({ req }) => ({ headers: req.headers }),
  });
  process.stderr.write(`stock gateway ready at ${url}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
