import { type Answer, type ConformanceCase, type ConformanceOperation, type Refusal, type RunningCase, startCase } from './harness';
import { StockGateways } from './stockGateway';

function isRefusal(value: Answer | Refusal): value is Refusal {
  return 'refused' in value;
}

type Received = Answer & { codes: string[]; status: number };

/**
 * What is compared of a response: the answer itself (data, each error's message and path), or for a
 * declared refusal its shape (no data, one error with that code, a message that says what the case says).
 */
function comparable(actual: Received, declared: (Answer | Refusal) & { why?: string }): { actual: unknown; wanted: unknown } {
  const { why: _why, ...wanted } = declared;
  if (isRefusal(wanted)) {
    return {
      actual: {
        data: actual.data,
        code: actual.codes[0],
        errors: actual.errors?.length,
        message: actual.errors?.[0].message,
        status: wanted.status === undefined ? undefined : actual.status,
      },
      wanted: { data: undefined, code: wanted.refused, errors: 1, message: expect.stringMatching(wanted.message), status: wanted.status },
    };
  }
  const { codes: _codes, status: _status, ...answer } = actual;
  return { actual: answer, wanted };
}

function operationOf(operation: ConformanceOperation) {
  return { query: operation.query, variables: operation.variables };
}

/**
 * Runs `cases` through stock `@apollo/gateway` (in a process of its own) and through the router, operation by
 * operation: each side must give the case's expected answer, or the different answer (or refusal) the case
 * records for that side with the reason.
 */
export function describeCorpus(title: string, cases: ConformanceCase[]): void {
  describe(title, () => {
    let stock: StockGateways;
    beforeAll(async () => {
      stock = await StockGateways.launch();
    });
    afterAll(() => stock.close());

    for (const definition of cases) {
      describe(definition.name, () => {
        let running: RunningCase;
        beforeAll(async () => {
          running = await startCase(definition, stock);
        });
        afterAll(() => running?.stop());

        const refused = definition.refusedSupergraph;
        it(refused ? 'is refused at start as the case says' : 'is served by both', () => {
          if (refused?.stock) expect(running.stock.refused).toMatch(refused.stock);
          else expect(running.stock).toEqual({ url: expect.any(String), stop: expect.any(Function) });
          if (refused?.ours) expect('refused' in running.ours && running.ours.refused).toMatch(refused.ours);
          else expect(running.ours).toEqual({ url: expect.any(String), adminUrl: expect.any(String), router: expect.anything() });
        });

        for (const operation of definition.operations) {
          it(operation.name, async () => {
            // Both sides are asked before anything is compared, so that a failure shows both answers.
            const stockSide = refused?.stock
              ? null
              : comparable(await running.send('stock', operationOf(operation)), operation.stock ?? operation.expected);
            const oursSide = refused?.ours
              ? null
              : comparable(await running.send('ours', operationOf(operation)), operation.ours ?? operation.expected);
            expect({ stock: stockSide?.actual, ours: oursSide?.actual }).toEqual({ stock: stockSide?.wanted, ours: oursSide?.wanted });
          });
        }
      });
    }
  });
}
