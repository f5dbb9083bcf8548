import { countTokens, TokenCounts } from '../../router/demand/countTokens';

/** The token counts the early refusals keep per document (issue 18): the count of a document, whether kept or not. */
describe('TokenCounts', () => {
  const documents = [
    '{ me { id } }',
    'query ProductList($first: Int, $after: String) { products(first: $first, after: $after) { edges { node { id name } } } }',
    '# a comment\n{ a b c }',
    '{ unterminated(arg: "no end) }',
    '{ a(s: "lone \ud800 surrogate") b }',
    '{ a \ud800 b }',
    '',
  ];

  it.each(documents)('counts %j as countTokens does, the first time and again', (document) => {
    const counts = new TokenCounts();
    expect(counts.of(document)).toBe(countTokens(document));
    expect(counts.of(document)).toBe(countTokens(document));
    expect(counts.size).toBe(1);
  });

  it('tells documents apart that differ in one character', () => {
    const counts = new TokenCounts();
    expect(counts.of('{ a b }')).toBe(4);
    expect(counts.of('{ a b c }')).toBe(5);
    expect(counts.of('{ a b }')).toBe(4);
  });

  it('never holds more than its entries, nor a document over its length', () => {
    const counts = new TokenCounts(10, 100);
    for (let i = 0; i < 25; i++) expect(counts.of(`{ f${i} }`)).toBe(3);
    expect(counts.size).toBeLessThanOrEqual(10);
    const long = `{ ${'a '.repeat(60)}}`;
    const before = counts.size;
    expect(counts.of(long)).toBe(62);
    expect(counts.size).toBe(before);
  });
});
