import fs from 'node:fs';
import { type DocumentNode, Kind, visit } from 'graphql';
import { ConfigError } from '../../../shared';

/** A label of `@override(label:)`: `percent(N)` moves N % of requests, any other name is set by the operator. */
export type OverrideLabel = { label: string; percent: number } | { label: string; percent: null };

/** `percent(N)` as composition accepts it: 0 to 100, up to 8 decimals. */
const PERCENT = /^percent\((\d{1,3}(?:\.\d{1,8})?)\)$/;

/**
 * The override labels of a supergraph: every `overrideLabel` of a `@join__field` (the name the query planner
 * reads them under), each once, in name order.
 */
export function overrideLabelsOf(supergraph: DocumentNode): OverrideLabel[] {
  const labels = new Set<string>();
  visit(supergraph, {
    Directive(node) {
      if (node.name.value !== 'join__field') return;
      for (const argument of node.arguments ?? []) {
        if (argument.name.value === 'overrideLabel' && argument.value.kind === Kind.STRING) labels.add(argument.value.value);
      }
    },
  });
  return [...labels].sort().map((label) => {
    const percent = PERCENT.exec(label);
    return { label, percent: percent ? Math.min(100, Number(percent[1])) : null };
  });
}

/** The labels one request is planned with: those on (every other is off), and the key its caches use. */
export interface LabelSet {
  active: ReadonlyMap<string, boolean>;
  /** The active labels joined in name order; '' when none is. */
  key: string;
}

export const NO_LABELS: LabelSet = { active: new Map(), key: '' };

/**
 * Decides each request's labels: a label the operator set (`OVERRIDE_LABELS_FILE`) has that value; any other
 * `percent(N)` label is on for a request with probability N / 100, by a draw of its own per request (so
 * `percent(0)` is never on and `percent(100)` always); any other named label is off (Apollo's default).
 */
export function decideLabels(
  labels: readonly OverrideLabel[],
  named: ReadonlyMap<string, boolean>,
  random: () => number = Math.random,
): LabelSet {
  let key = '';
  let active: Map<string, boolean> | null = null;
  for (const { label, percent } of labels) {
    const set = named.get(label);
    const on = set ?? (percent !== null && random() * 100 < percent);
    if (!on) continue;
    active ??= new Map();
    active.set(label, true);
    key = key ? `${key},${label}` : label;
  }
  return active ? { active, key } : NO_LABELS;
}

/** What one poll of the named labels' file did. */
export type NamedLabelsPoll =
  | { kind: 'unchanged' | 'changed' }
  /** The file became acceptable again with the setting kept since before the refusal. */
  | { kind: 'recovered' }
  /** `repeated`: the same content (or the same read error) as the previous poll refused, already reported. */
  | { kind: 'refused'; error: Error; repeated: boolean };

/**
 * The named labels an operator turned on or off: `OVERRIDE_LABELS_FILE`, a JSON object of label to true or
 * false, e.g. `{ "reviews-v2": true }`. Re-read on every supergraph poll (a running process's environment
 * cannot change); a file that cannot be read or is not such an object is refused: at start the router does
 * not start, later the previous setting stays and the error is logged, once for each refused content.
 */
export class NamedLabels {
  private current: ReadonlyMap<string, boolean> = new Map();
  private lastText: string | null = null;
  /** What the last poll refused (the text read, or the read error), or null when it accepted the file. */
  private refused: string | null = null;

  constructor(private readonly file: string | null) {
    this.reload();
  }

  get labels(): ReadonlyMap<string, boolean> {
    return this.current;
  }

  /** Reads the file again; true when the setting changed. Throws on a file it refuses (the setting stays). */
  reload(): boolean {
    if (!this.file) return false;
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      this.refused = `read\u0000${(error as Error).message}`;
      throw new ConfigError(`OVERRIDE_LABELS_FILE ${this.file} cannot be read: ${(error as Error).message}`);
    }
    if (text === this.lastText) {
      this.refused = null;
      return false;
    }
    try {
      this.current = parseNamedLabels(text, this.file);
    } catch (error) {
      this.refused = `text\u0000${text}`;
      throw error;
    }
    this.refused = null;
    this.lastText = text;
    return true;
  }

  /**
   * `reload` at a supergraph poll (every second for a file source): a refusal is returned, not thrown, and
   * marked `repeated` while the file holds what the previous poll refused, so that it is reported once.
   */
  poll(): NamedLabelsPoll {
    const refusedBefore = this.refused;
    try {
      if (this.reload()) return { kind: 'changed' };
      return { kind: refusedBefore === null ? 'unchanged' : 'recovered' };
    } catch (error) {
      return { kind: 'refused', error: error as Error, repeated: this.refused === refusedBefore };
    }
  }
}

function parseNamedLabels(text: string, file: string): Map<string, boolean> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`OVERRIDE_LABELS_FILE ${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`OVERRIDE_LABELS_FILE ${file} must hold a JSON object of label to true or false, e.g. { "reviews-v2": true }`);
  }
  const labels = new Map<string, boolean>();
  for (const [label, value] of Object.entries(parsed)) {
    if (typeof value !== 'boolean')
      throw new ConfigError(`OVERRIDE_LABELS_FILE ${file}: label "${label}" must be true or false, got ${JSON.stringify(value)}`);
    labels.set(label, value);
  }
  return labels;
}
