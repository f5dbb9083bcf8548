import { Lexer, Source, TokenKind } from 'graphql';

/**
 * Lexical tokens in a document, counted the way graphql-js's `maxTokens` counts them (comments and EOF
 * excluded), but to the end, so that a refusal can say how many there were. It runs before parsing, on a
 * body the router has already capped in size. A lexical error stops the count there: the parser reports it.
 */
export function countTokens(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) count += 1;
  } catch {
    // Unterminated string and the like: the parser's error says it better.
  }
  return count;
}
