import { abstractCases } from './cases/abstract';
import { aliasCases } from './cases/aliases';
import { demoCase } from './cases/demo';
import { executionCases } from './cases/execution';
import { fed1Cases } from './cases/fed1';
import { keyCases } from './cases/keys';
import { ownershipCases } from './cases/ownership';
import { providesCases } from './cases/provides';
import { requiresCases } from './cases/requires';
import { visibilityCases } from './cases/visibility';
import type { ConformanceCase } from './harness';

/** The corpus in the two halves its two test files run (jest runs files in parallel). */
export const CORPUS_PARTS = {
  entities: [...keyCases, ...requiresCases, ...providesCases, ...aliasCases, ...fed1Cases],
  types: [...abstractCases, ...ownershipCases, ...visibilityCases, ...executionCases, demoCase],
};

/** Every case of the corpus, in the order of the table. */
export const CORPUS: ConformanceCase[] = [...CORPUS_PARTS.entities, ...CORPUS_PARTS.types];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * The corpus as a Markdown table: per case, how many operations each side answers right (the tests check
 * every declared answer, so the table follows from the case definitions), and each difference with why.
 */
export function corpusTable(cases: readonly ConformanceCase[] = CORPUS): string {
  const rows: string[] = ['| case | covers | stock @apollo/gateway | router | differences |', '|---|---|---|---|---|'];
  const totals = { operations: 0, stock: 0, ours: 0 };
  for (const definition of cases) {
    const count = definition.operations.length;
    const refused = definition.refusedSupergraph;
    const stockRight = definition.operations.filter((operation) => !operation.stock).length;
    const oursRight = definition.operations.filter((operation) => !operation.ours).length;
    totals.operations += count;
    if (!refused?.stock) totals.stock += stockRight;
    if (!refused?.ours) totals.ours += oursRight;
    const score = (side: 'stock' | 'ours', right: number) =>
      refused?.[side] ? (count === 0 ? 'refuses it (right)' : `refuses it (0/${count})`) : `${right}/${count}`;
    // Operations that differ for the same reason are listed together under it.
    const byReason = new Map<string, string[]>();
    for (const operation of definition.operations) {
      for (const [side, declared] of [
        ['stock', operation.stock],
        ['router', operation.ours],
      ] as const) {
        if (!declared) continue;
        const key = `${side}\u0000${declared.why}`;
        byReason.set(key, [...(byReason.get(key) ?? []), `“${operation.name}”`]);
      }
    }
    const differences = [
      ...(refused ? [`supergraph: ${refused.why}`] : []),
      ...[...byReason].map(([key, names]) => {
        const [side, why] = key.split('\u0000');
        return `${side} on ${names.join(', ')}: ${why}`;
      }),
    ];
    rows.push(
      `| ${cell(definition.name)} | ${cell(definition.covers.join(', '))} | ${score('stock', stockRight)} | ${score('ours', oursRight)} | ${cell(differences.join('<br>'))} |`,
    );
  }
  rows.push(`| **${cases.length} cases** | | **${totals.stock}/${totals.operations}** | **${totals.ours}/${totals.operations}** | |`);
  return rows.join('\n');
}
