import { GraphQLError } from 'graphql';
import { AppError, ErrorCode, maskUnexpectedError } from '../../shared';

describe('maskUnexpectedError', () => {
  const format = (error: GraphQLError) => maskUnexpectedError(error.toJSON(), error, (cause) => logged.push(cause));
  let logged: unknown[];
  beforeEach(() => {
    logged = [];
  });

  it('passes errors raised on purpose through with their code and details', () => {
    const error = new GraphQLError('Only 2 left', {
      path: ['placeOrder'],
      originalError: new AppError(ErrorCode.INSUFFICIENT_STOCK, 'Only 2 left', { available: 2 }),
    });
    expect(format(error)).toMatchObject({ message: 'Only 2 left' });
    expect(logged).toEqual([]);
  });

  it('hides an exception thrown by code behind INTERNAL_SERVER_ERROR and logs the cause', () => {
    const cause = new TypeError("Cannot read properties of undefined (reading 'password')");
    const error = new GraphQLError(cause.message, { path: ['user'], originalError: cause });
    expect(format(error)).toEqual({ message: 'Internal server error', path: ['user'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged).toEqual([cause]);
  });

  it('keeps a coded error relayed from a subgraph', () => {
    const error = new GraphQLError('There is no product with id "9".', {
      originalError: { message: 'x', extensions: { code: 'PRODUCT_NOT_FOUND' } } as never,
      extensions: { code: 'PRODUCT_NOT_FOUND', serviceName: 'order' },
    });
    expect(format(error).extensions?.code).toBe('PRODUCT_NOT_FOUND');
  });
});
