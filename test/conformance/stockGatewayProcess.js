/**
 * Stock `@apollo/gateway` behind stock `@apollo/server` (its standalone HTTP server), in a process of its own:
 * the router's fast paths replace gateway internals process-wide and for good, so the reference gateway must
 * never share a module registry with a router. Plain JavaScript, so that it runs without a TypeScript step.
 *
 * Driven over IPC by `stockGateway.ts`: `start` (a supergraph SDL) answers with the URL or the error the
 * gateway refused the supergraph with; `stop` stops one (named by the id of its `start`); `fingerprint` answers with the source text of the
 * gateway internals the router patches, for the test that proves this process runs the originals.
 */

const { ApolloGateway } = require('@apollo/gateway');
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const servers = new Map();

async function handle(message) {
  if (message.type === 'start') {
    const gateway = new ApolloGateway({ supergraphSdl: message.supergraphSdl, logger: silent });
    const server = new ApolloServer({ gateway, logger: silent, includeStacktraceInErrorResponses: false });
    try {
      const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
      servers.set(message.id, server);
      return { url };
    } catch (error) {
      return { refused: error instanceof Error ? error.message : String(error) };
    }
  }
  if (message.type === 'stop') {
    const server = servers.get(message.server);
    servers.delete(message.server);
    await server?.stop();
    return {};
  }
  if (message.type === 'fingerprint') {
    return {
      computeResponse: require('@apollo/gateway/dist/resultShaping').computeResponse.toString(),
      operationFromDocument: require('@apollo/federation-internals/dist/operations').operationFromDocument.toString(),
      sendRequest:
        require('@apollo/gateway/dist/datasources/RemoteGraphQLDataSource').RemoteGraphQLDataSource.prototype.sendRequest.toString(),
    };
  }
  throw new Error(`unknown message ${message.type}`);
}

process.on('message', (message) => {
  handle(message).then(
    (reply) => process.send({ id: message.id, ...reply }),
    (error) => process.send({ id: message.id, error: error instanceof Error ? error.stack : String(error) }),
  );
});
// The test process went away (or hung up): nothing is left to serve.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
