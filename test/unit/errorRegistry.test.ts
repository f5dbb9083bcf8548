import fs from 'node:fs';
import { ERRORS } from '@apollo/federation-internals';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import ts from 'typescript';
import { renderErrorReference } from '../../scripts/lib/renderErrorReference';
import { ERROR_REGISTRY, type ErrorCode, isErrorCode, projectPath } from '../../shared';
import { nodesOf, type SourceFile, sourceFiles, where } from '../helpers/sourceFiles';

/** The code of the processes that answer clients: what they send must be in the registry. */
const SERVING_CODE = ['router', 'shared', 'subgraphs'];

/**
 * SCREAMING_SNAKE strings in a `code:` position that are not sent to clients, by file: each with the reason.
 * Keep this short; a code a client can see belongs in the registry.
 */
const NOT_CLIENT_CODES: Record<string, Record<string, string>> = {
  'router/metrics/RouterMetrics.ts': { SUBGRAPH_ERROR: 'a label value of the subgraph_fetch_errors_total metric' },
};

const SCREAMING_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/** String literals an expression can evaluate to: itself, or the branches of `?:`, `??`, `||` and parentheses. */
function literalsOf(expression: ts.Expression): ts.StringLiteralLike[] {
  if (ts.isStringLiteralLike(expression)) return [expression];
  if (ts.isParenthesizedExpression(expression)) return literalsOf(expression.expression);
  if (ts.isConditionalExpression(expression)) return [...literalsOf(expression.whenTrue), ...literalsOf(expression.whenFalse)];
  if (
    ts.isBinaryExpression(expression) &&
    [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(expression.operatorToken.kind)
  ) {
    return [...literalsOf(expression.left), ...literalsOf(expression.right)];
  }
  return [];
}

/** `ErrorCode.X` or `'X'`: the code an expression names, or null. */
function codeNamedBy(expression: ts.Expression): string | null {
  if (ts.isStringLiteralLike(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression) && expression.expression.text === 'ErrorCode') {
    return expression.name.text;
  }
  return null;
}

interface SentCode {
  code: string;
  at: string;
  /** The HTTP status it is sent with, when the source says (`new HttpError(status, code, …)`). */
  status?: number;
}

/** Codes the source puts in a `code:` property (as `extensions: { code }` does) or in an HttpError. */
function sentCodes(file: SourceFile): SentCode[] {
  const sent: SentCode[] = [];
  for (const node of nodesOf(file.ast)) {
    if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) && node.name.text === 'code') {
      for (const literal of literalsOf(node.initializer)) {
        if (SCREAMING_SNAKE.test(literal.text)) sent.push({ code: literal.text, at: where(file, literal) });
      }
      const named = ts.isStringLiteralLike(node.initializer) ? null : codeNamedBy(node.initializer);
      if (named) sent.push({ code: named, at: where(file, node) });
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'HttpError') {
      const [status, code] = node.arguments ?? [];
      const named = code ? codeNamedBy(code) : null;
      if (!named) throw new Error(`${where(file, node)}: an HttpError whose code this test cannot read; name it with ErrorCode.X`);
      sent.push({ code: named, at: where(file, node), status: status && ts.isNumericLiteral(status) ? Number(status.text) : undefined });
    }
  }
  return sent.filter(({ code }) => !NOT_CLIENT_CODES[file.path]?.[code]);
}

describe('the error registry', () => {
  const files = sourceFiles(...SERVING_CODE);

  it('docs/errors.md is what the registry generates (run npm run docs:errors)', () => {
    expect(fs.readFileSync(projectPath('docs', 'errors.md'), 'utf8')).toBe(renderErrorReference());
  });

  it('holds every code the router and the subgraphs send', () => {
    const sent = files.flatMap(sentCodes);
    expect(sent.length).toBeGreaterThan(20);
    expect(sent.filter(({ code }) => !isErrorCode(code)).map(({ code, at }) => `${code} at ${at}`)).toEqual([]);
  });

  it('lists the status of every HttpError the source sends with its code', () => {
    const sent = files.flatMap(sentCodes).filter((use) => use.status !== undefined && isErrorCode(use.code));
    expect(sent.length).toBeGreaterThan(10);
    const unlisted = sent.filter(({ code, status }) => !ERROR_REGISTRY[code as ErrorCode].statuses.includes(status as number));
    expect(unlisted.map(({ code, status, at }) => `${code} ${status} at ${at}`)).toEqual([]);
  });

  it('holds no code that our router or subgraphs say they send but never do', () => {
    const source = files.map((file) => file.ast.text).join('\n');
    const ours = (Object.keys(ERROR_REGISTRY) as ErrorCode[]).filter((code) =>
      ERROR_REGISTRY[code].sentBy.some((sender) => sender === 'router' || sender === 'subgraphs'),
    );
    const unsent = ours.filter((code) => !source.includes(`ErrorCode.${code}`) && !source.includes(`'${code}'`));
    expect(unsent).toEqual([]);
  });

  it("holds every code of Apollo Server's, and the gateway's code for a subgraph error without one", () => {
    for (const code of Object.values(ApolloServerErrorCode)) {
      expect([code, isErrorCode(code) && ERROR_REGISTRY[code].sentBy.includes('Apollo Server')]).toEqual([code, true]);
    }
    const gateway = ERRORS.DOWNSTREAM_SERVICE_ERROR.code;
    expect([gateway, isErrorCode(gateway) && ERROR_REGISTRY[gateway].sentBy.includes('Apollo Gateway')]).toEqual([gateway, true]);
  });

  it('gives each code a status for each way it refuses a whole request, and a one-line meaning', () => {
    for (const [code, definition] of Object.entries(ERROR_REGISTRY)) {
      const refusesRequests = definition.kinds.some((kind) => kind !== 'field');
      expect([code, definition.statuses.length > 0]).toEqual([code, refusesRequests]);
      expect([code, definition.meaning.includes('\n'), definition.meaning.length > 20]).toEqual([code, false, true]);
    }
  });
});
