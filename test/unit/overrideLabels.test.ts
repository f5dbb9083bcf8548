import { parse } from 'graphql';
import { decideLabels, overrideLabelsOf } from '../../router/gateway/overrideLabels/overrideLabels';

const SUPERGRAPH = parse(`
  directive @join__field(graph: String, override: String, overrideLabel: String) repeatable on FIELD_DEFINITION
  type Query { a: Int @join__field(graph: "B", override: "A", overrideLabel: "percent(12.5)") }
  type T {
    b: Int @join__field(graph: "B", override: "A", overrideLabel: "reviews-v2")
    c: Int @join__field(graph: "B", override: "A", overrideLabel: "percent(100)")
    d: Int @join__field(graph: "B", override: "A", overrideLabel: "percent(12.5)")
    e: Int @join__field(graph: "B", override: "A")
  }
`);

describe('override labels', () => {
  it('reads each label of the supergraph once, with its percentage', () => {
    expect(overrideLabelsOf(SUPERGRAPH)).toEqual([
      { label: 'percent(100)', percent: 100 },
      { label: 'percent(12.5)', percent: 12.5 },
      { label: 'reviews-v2', percent: null },
    ]);
  });

  it('turns a percent label on when the draw falls under it, and a named one only when the file says so', () => {
    const labels = overrideLabelsOf(SUPERGRAPH);
    const draws = (value: number) => () => value;
    expect(decideLabels(labels, new Map(), draws(0.124)).key).toBe('percent(100),percent(12.5)');
    expect(decideLabels(labels, new Map(), draws(0.125)).key).toBe('percent(100)');
    expect(decideLabels(labels, new Map([['reviews-v2', true]]), draws(0.5)).key).toBe('percent(100),reviews-v2');
    expect([...decideLabels(labels, new Map([['reviews-v2', true]]), draws(0.5)).active]).toEqual([
      ['percent(100)', true],
      ['reviews-v2', true],
    ]);
  });

  it('gives a percent label the file names the file’s value, whatever the draw', () => {
    const labels = overrideLabelsOf(SUPERGRAPH);
    const named = new Map([
      ['percent(100)', false],
      ['percent(12.5)', true],
    ]);
    for (const draw of [0, 0.5, 0.999]) expect(decideLabels(labels, named, () => draw).key).toBe('percent(12.5)');
  });
});
