import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'graphql';
import pino from 'pino';
import { installGatewayPatches } from '../../router/gateway/installGatewayPatches';
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

describe('OVERRIDE_LABELS_FILE re-read at every supergraph poll', () => {
  it('logs a refused file once per refused content, not at every poll, and keeps the previous setting', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'override-labels-poll-'));
    const file = path.join(directory, 'labels.json');
    fs.writeFileSync(file, JSON.stringify({ 'reviews-v2': true }));
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const polls: (() => void)[] = [];
    try {
      // No fast path and no planner hook installed: only the file's reading is under test.
      const { namedLabels } = installGatewayPatches({ gatewayFastPaths: false, overrideLabels: { enabled: false, file } }, {}, logger, {
        onPoll: (listener) => void polls.push(listener),
      });
      const poll = (times: number) => {
        for (let i = 0; i < times; i++) for (const listener of polls) listener();
      };
      const logged = (msg: string) => lines.filter((line) => line.msg === msg).length;
      const REFUSED = 'refused OVERRIDE_LABELS_FILE; the previous setting stays';

      fs.writeFileSync(file, JSON.stringify({ 'reviews-v2': 'yes' }));
      poll(5);
      expect(logged(REFUSED)).toBe(1);
      // Other refused content: logged again, once.
      fs.writeFileSync(file, '["reviews-v2"]');
      poll(5);
      expect(logged(REFUSED)).toBe(2);
      // Deleted: a read error, logged once too.
      fs.rmSync(file);
      poll(5);
      expect(logged(REFUSED)).toBe(3);
      expect(namedLabels.labels).toEqual(new Map([['reviews-v2', true]]));
      // Back as it was: said once; refused again later: logged again.
      fs.writeFileSync(file, JSON.stringify({ 'reviews-v2': true }));
      poll(3);
      expect(logged('OVERRIDE_LABELS_FILE accepted again, as it was')).toBe(1);
      fs.writeFileSync(file, JSON.stringify({ 'reviews-v2': 'yes' }));
      poll(3);
      expect(logged(REFUSED)).toBe(4);
      fs.writeFileSync(file, '{}');
      poll(3);
      expect(logged('override labels reloaded')).toBe(1);
      expect(namedLabels.labels).toEqual(new Map());
      expect(lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual(Array(4).fill(REFUSED));
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
