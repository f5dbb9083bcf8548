import { ThrottleMemory } from '../../router';

describe('ThrottleMemory', () => {
  it('refuses the same operation of the same client until its Retry-After has passed, and nothing else', () => {
    let now = 1_000_000;
    const memory = new ThrottleMemory(100, () => now);
    const heavy = ThrottleMemory.operationKey('{ products(first: 100) { edges { cursor } } }', null, { a: 1 });
    memory.remember('key:attacker', heavy, 3);
    expect(memory.secondsLeft('key:attacker', heavy)).toBe(3);
    // Another client, another operation, other variables: not remembered.
    expect(memory.secondsLeft('key:other', heavy)).toBe(0);
    expect(memory.secondsLeft('key:attacker', ThrottleMemory.operationKey('{ me { id } }', null, { a: 1 }))).toBe(0);
    expect(
      memory.secondsLeft('key:attacker', ThrottleMemory.operationKey('{ products(first: 100) { edges { cursor } } }', null, { a: 2 })),
    ).toBe(0);
    now += 2_100;
    expect(memory.secondsLeft('key:attacker', heavy)).toBe(1);
    now += 1_000;
    expect(memory.secondsLeft('key:attacker', heavy)).toBe(0);
  });

  it('gives a GET’s variables text, however spaced, the key of the parsed variables', () => {
    const query = '{ products(first: 100) { edges { cursor } } }';
    const parsed = ThrottleMemory.operationKey(query, null, { a: 1, b: [2] });
    expect(ThrottleMemory.operationKey(query, null, '{"a":1,"b":[2]}')).toBe(parsed);
    expect(ThrottleMemory.operationKey(query, null, '{ "a": 1, "b": [ 2 ] }')).toBe(parsed);
    expect(ThrottleMemory.operationKey(query, null, '{"a":2,"b":[2]}')).not.toBe(parsed);
    expect(ThrottleMemory.operationKey(query, null, 'not json')).not.toBe(parsed);
  });

  it('keeps a bounded number of entries', () => {
    const memory = new ThrottleMemory(2, () => 0);
    memory.remember('a', 'x', 10);
    memory.remember('b', 'x', 10);
    memory.remember('c', 'x', 10);
    expect([memory.secondsLeft('a', 'x'), memory.secondsLeft('b', 'x'), memory.secondsLeft('c', 'x')]).toEqual([0, 10, 10]);
  });
});
