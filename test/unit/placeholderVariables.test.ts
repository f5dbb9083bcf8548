import { buildSchema, getVariableValues, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { placeholderVariables } from '../../router';

const schema = buildSchema(`
  scalar Date
  scalar Strict
  enum Color { RED GREEN }
  input Line { id: ID!, quantity: Int!, note: String, color: Color! = GREEN }
  input Order { lines: [Line!]!, main: Line!, when: Date!, flag: Boolean! }
  input Choice @oneOf { byId: ID, byName: String }
  type Query { a(order: Order, choice: Choice, n: Float, color: Color, s: Strict, when: Date): Int }
`);
// A custom scalar that accepts only strings of digits: none of the placeholders' candidates.
Object.assign(schema.getType('Strict') as object, {
  parseValue: (value: unknown) => {
    if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) throw new TypeError('digits only');
    return value;
  },
});

function operation(text: string): OperationDefinitionNode {
  return parse(text).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
}

describe('placeholderVariables', () => {
  it('fills each required variable with a value its type coerces, and leaves optional ones out', () => {
    const op = operation(
      'query Q($order: Order!, $choice: Choice!, $n: Float!, $color: Color!, $opt: Int, $dflt: Int! = 3, $when: Date!) { a(order: $order, choice: $choice, n: $n, color: $color, when: $when) }',
    );
    const variables = placeholderVariables(schema, op);
    expect(variables).toEqual({
      order: { lines: [], main: { id: '0', quantity: 0 }, when: '', flag: false },
      choice: { byId: '0' },
      n: 0,
      color: 'RED',
      when: '',
    });
    // graphql-js's own coercion (what the gateway checks before planning) accepts them.
    expect(getVariableValues(schema, op.variableDefinitions ?? [], variables ?? {}).errors).toBeUndefined();
  });

  it('gives up (null) when a required variable’s type accepts no placeholder', () => {
    expect(placeholderVariables(schema, operation('query Q($s: Strict!) { a(s: $s) }'))).toBeNull();
    // Optional, it is simply left out.
    expect(placeholderVariables(schema, operation('query Q($s: Strict) { a(s: $s) }'))).toEqual({});
  });
});
