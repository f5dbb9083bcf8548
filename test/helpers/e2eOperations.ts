import fs from 'node:fs';
import path from 'node:path';
import { Kind, type OperationDefinitionNode, parse, type TypeNode } from 'graphql';
import ts from 'typescript';

/** One query of the end-to-end suite, with the variables it is sent with here. */
export interface SuiteOperation {
  /** The test file it was found in. */
  file: string;
  query: string;
  operationName?: string;
  variables: Record<string, unknown>;
}

/** Values for the variables of the suite's operations, by type; an operation needing another is left out. */
const SAMPLE_VALUES: Record<string, unknown> = { ID: '1', Int: 3, String: 'a', Boolean: true };

function sampleVariables(operation: OperationDefinitionNode): Record<string, unknown> | null {
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    let type: TypeNode = definition.type;
    const required = type.kind === Kind.NON_NULL_TYPE && !definition.defaultValue;
    if (type.kind === Kind.NON_NULL_TYPE) type = type.type;
    if (type.kind === Kind.NAMED_TYPE && type.name.value in SAMPLE_VALUES)
      variables[definition.variable.name.value] = SAMPLE_VALUES[type.name.value];
    else if (required) return null;
  }
  return variables;
}

/**
 * Every query operation written in the end-to-end tests (`test/e2e/*.test.ts`): each string or template
 * literal without substitutions that parses as a GraphQL document with a query, each of its queries once,
 * with sample variables. Found in the sources, so an operation added to the suite is covered here too.
 */
export function e2eSuiteOperations(): SuiteOperation[] {
  const directory = path.join(__dirname, '..', 'e2e');
  const seen = new Set<string>();
  const operations: SuiteOperation[] = [];
  for (const file of fs.readdirSync(directory).filter((name) => name.endsWith('.test.ts'))) {
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(directory, file), 'utf8'), ts.ScriptTarget.Latest);
    const visit = (node: ts.Node) => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) collect(file, node.text);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return operations;

  function collect(file: string, text: string): void {
    let document: ReturnType<typeof parse>;
    try {
      document = parse(text);
    } catch {
      return;
    }
    const queries = document.definitions.filter(
      (definition): definition is OperationDefinitionNode =>
        definition.kind === Kind.OPERATION_DEFINITION && definition.operation === 'query',
    );
    for (const query of queries) {
      const variables = sampleVariables(query);
      const operationName = document.definitions.length > 1 || query.name ? query.name?.value : undefined;
      const key = `${text}\u0000${operationName ?? ''}`;
      if (!variables || seen.has(key)) continue;
      seen.add(key);
      operations.push({ file, query: text, variables, ...(operationName ? { operationName } : {}) });
    }
  }
}
