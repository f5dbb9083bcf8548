import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { ErrorCode } from './errorRegistry';

/** `DateTime`: ISO 8601 in UTC with milliseconds on output; any ISO 8601 instant on input. */
export const dateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    return parseInstant(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO 8601 string');
    return parseInstant(ast.value);
  },
});

function parseInstant(value: unknown): Date {
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime must be an ISO 8601 string such as 2026-11-27T09:30:00Z, got ${JSON.stringify(value)}`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    });
  }
  return date;
}

/**
 * Our ids are positive integers. An `ID` that is not one cannot name anything, so lookups answer it
 * like any unknown id (null) rather than with an error.
 */
export function parseId(id: string | number): number | null {
  const text = String(id);
  return /^[1-9]\d{0,14}$/.test(text) ? Number(text) : null;
}
