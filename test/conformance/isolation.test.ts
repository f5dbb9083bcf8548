import { keyCases } from './cases/keys';
import { type RunningCase, startCase } from './harness';
import { StockGateways } from './stockGateway';

type Shaping = { computeResponse: (...args: unknown[]) => unknown };
type Operations = { operationFromDocument: (...args: unknown[]) => unknown };
type DataSources = { RemoteGraphQLDataSource: { prototype: { sendRequest: (...args: unknown[]) => unknown } } };

// Read before any router exists in this module registry: the gateway's own functions.
const shaping = require('@apollo/gateway/dist/resultShaping') as Shaping;
const operations = require('@apollo/federation-internals/dist/operations') as Operations;
const dataSource = (require('@apollo/gateway/dist/datasources/RemoteGraphQLDataSource') as DataSources).RemoteGraphQLDataSource.prototype;
const originals = {
  computeResponse: shaping.computeResponse,
  operationFromDocument: operations.operationFromDocument,
  sendRequest: dataSource.sendRequest,
};

/**
 * The corpus compares the router with stock `@apollo/gateway`; the router replaces three gateway internals
 * process-wide (`installGatewayFastPaths`), so the comparison means something only if the stock side runs
 * the originals. This shows it does: the stock process has the original functions while this process has
 * the router's, and a request to the stock gateway never reaches the router's replacement.
 */
describe('the stock gateway of the corpus is isolated from the router’s patches', () => {
  let stock: StockGateways;
  let running: RunningCase;

  beforeAll(async () => {
    stock = await StockGateways.launch();
    running = await startCase(keyCases[0], stock);
  });
  afterAll(async () => {
    await running?.stop();
    await stock?.close();
  });

  it('in this process the router replaced the gateway internals; the stock process has the originals', async () => {
    expect(shaping.computeResponse).not.toBe(originals.computeResponse);
    expect(operations.operationFromDocument).not.toBe(originals.operationFromDocument);
    expect(dataSource.sendRequest).not.toBe(originals.sendRequest);
    const fingerprint = await stock.fingerprint();
    expect(fingerprint).toEqual({
      computeResponse: originals.computeResponse.toString(),
      operationFromDocument: originals.operationFromDocument.toString(),
      sendRequest: originals.sendRequest.toString(),
    });
    expect(fingerprint.computeResponse).not.toEqual(shaping.computeResponse.toString());
  });

  it('a request to the stock gateway never runs the router’s response shaping; one to the router does', async () => {
    const patched = shaping.computeResponse;
    let calls = 0;
    shaping.computeResponse = (...args: unknown[]) => {
      calls += 1;
      return patched(...args);
    };
    try {
      const operation = { query: '{ stockItems { sku price } }' };
      const fromStock = await running.send('stock', operation);
      expect({ calls, errors: fromStock.errors }).toEqual({ calls: 0, errors: undefined });
      const fromRouter = await running.send('ours', operation);
      expect(calls).toBeGreaterThan(0);
      expect(fromRouter.data).toEqual(fromStock.data);
    } finally {
      shaping.computeResponse = patched;
    }
  });
});
