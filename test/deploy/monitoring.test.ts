/**
 * deploy/monitoring/: the Grafana dashboard and the Prometheus alerting rules may only use metrics the processes
 * really export. The names come from a real scrape of a router and the three subgraphs started in this process
 * (their `# TYPE` lines: every family a process registers, whether or not it has samples yet), never from a list
 * kept here. The rules are checked and unit-tested by promtool; the provisioning by docker-compose.yml's mounts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { composeSupergraph, readSubgraphSources } from '../../schema/composeSupergraph';
import { ErrorCode, REQUEST_ERROR_CODES, SUBGRAPH_NAMES } from '../../shared';
import { findOnPath, repoRoot, service } from '../helpers/compose';
import { readJson } from '../helpers/http';
import { parsePrometheus, sampleValue } from '../helpers/prometheus';
import { type Stack, startStack } from '../helpers/stack';

const monitoring = path.join(repoRoot, 'deploy', 'monitoring');
const dashboard = JSON.parse(fs.readFileSync(path.join(monitoring, 'supergraph-dashboard.json'), 'utf8')) as Dashboard;
const alerts = parse(fs.readFileSync(path.join(monitoring, 'alerts.yml'), 'utf8')) as {
  groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for?: string; labels?: Record<string, string> }> }>;
};

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { type: string; uid: string } }>;
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
}

const panels = (list: Panel[]): Panel[] => list.flatMap((panel) => [panel, ...panels(panel.panels ?? [])]);
const dashboardExpressions = panels(dashboard.panels).flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ where: `dashboard panel '${panel.title}'`, expr: target.expr })),
);
const ruleExpressions = alerts.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })));
const expressions = [...dashboardExpressions, ...ruleExpressions];

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN']);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions or aggregations (followed by
 * `(`), keywords, label names (inside `{…}` or the `by (…)`-like clauses) or ranges.
 */
function metricNamesIn(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const [, name, call] of text.matchAll(/(?<![\w.:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (!call && !PROMQL_KEYWORDS.has(name)) names.add(name);
  }
  return [...names];
}

/** Values a `code` matcher names: `code="X"`, `code!="X"`, `code=~"A|B"`. */
function codesIn(expr: string): string[] {
  return [...expr.matchAll(/\bcode\s*(?:=~|!=|=)\s*"([^"]*)"/g)].flatMap(([, value]) => value.split('|'));
}

/** Every metric family a /metrics text declares, with the series names a histogram adds. */
function exportedNames(text: string): Set<string> {
  parsePrometheus(text);
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('deploy/monitoring against the metrics the processes export', () => {
  let stack: Stack;
  let exported: Set<string>;
  const serviceLabels = new Set<string>();

  beforeAll(async () => {
    stack = await startStack('monitoring');
    // One request, so that the request, fetch and cost families have samples too (the names come from TYPE lines).
    await stack.graphql('{ categories { name } }');
    exported = new Set();
    const targets = [`${stack.adminUrl}/metrics`, ...SUBGRAPH_NAMES.map((name) => `${new URL(stack.subgraphUrls[name]).origin}/metrics`)];
    for (const url of targets) {
      const text = await (await fetch(url)).text();
      for (const name of exportedNames(text)) exported.add(name);
      for (const sample of parsePrometheus(text)) if (sample.labels.service) serviceLabels.add(sample.labels.service);
    }
  });
  afterAll(() => stack.stop());

  test('the name extraction sees selectors, not functions, labels or ranges', () => {
    expect(
      metricNamesIn('histogram_quantile(0.95, sum by (le, operation) (rate(a_bucket{service="router",code=~"X|Y"}[5m]))) / on(x) b > 1'),
    ).toEqual(['a_bucket', 'b']);
    expect(metricNamesIn('count(count by (version) (router_supergraph_info)) > 1 and up offset 5m')).toEqual([
      'router_supergraph_info',
      'up',
    ]);
  });

  test('the dashboard and the rules have expressions, and name the metrics this test scraped', () => {
    expect(dashboardExpressions.length).toBeGreaterThanOrEqual(10);
    expect(ruleExpressions.length).toBeGreaterThanOrEqual(10);
    expect(exported.has('graphql_requests_total')).toBe(true);
    expect(exported.has('db_pool_connections')).toBe(true);
  });

  test('every metric the dashboard and the rules use is exported by a router or a subgraph', () => {
    // `up` is the one series Prometheus writes itself (1 when the scrape of a target succeeded).
    const unknown = expressions.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => name !== 'up' && !exported.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  test('every error code they filter on is one the code can send', () => {
    const known = new Set<string>([...Object.values(ErrorCode), ...REQUEST_ERROR_CODES]);
    const unknown = expressions.flatMap(({ where, expr }) =>
      codesIn(expr)
        .filter((code) => !known.has(code))
        .map((code) => `${where}: ${code}`),
    );
    expect(codesIn(ruleExpressions.map(({ expr }) => expr).join('\n'))).toContain('THROTTLED');
    expect(unknown).toEqual([]);
  });

  test('every `service` label they filter on is one a process sets', () => {
    const used = new Set(expressions.flatMap(({ expr }) => [...expr.matchAll(/\bservice\s*=\s*"([^"]*)"/g)].map(([, value]) => value)));
    expect(used.size).toBeGreaterThan(0);
    for (const value of used) expect(serviceLabels).toContain(value);
  });

  test('the dashboard covers what operators look at', () => {
    const all = dashboardExpressions.flatMap(({ expr }) => metricNamesIn(expr));
    for (const name of [
      'graphql_requests_total',
      'graphql_errors_total',
      'graphql_request_duration_seconds_bucket',
      'subgraph_fetch_duration_seconds_bucket',
      'subgraph_circuit_state',
      'demand_refusals_total',
      'db_pool_connections',
      'router_supergraph_info',
    ]) {
      expect(all).toContain(name);
    }
  });

  describe('router_supergraph_info and the reload metrics', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-metric-')), 'supergraph.graphql');
    const publish = (sdl: string) => {
      fs.writeFileSync(`${file}.tmp`, sdl);
      fs.renameSync(`${file}.tmp`, file);
    };
    let extra: Awaited<ReturnType<Stack['startRouter']>>;
    let adminUrl: string;

    beforeAll(async () => {
      publish(fs.readFileSync(path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8'));
      extra = await stack.startRouter({ supergraphPath: file, supergraphPollIntervalMs: 20 });
      adminUrl = `http://127.0.0.1:${(extra.router.adminServer.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await extra.router.stop();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    });

    const scrape = async () => parsePrometheus(await (await fetch(`${adminUrl}/metrics`)).text());
    const ready = async () => (await readJson(await fetch(`${adminUrl}/health/ready`))).supergraph as { version: string };
    /** Polls until `check` holds (the router looks at the file every 20 ms); fails after 10 s. */
    async function until(check: () => Promise<boolean>): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('not within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const versionsOf = (samples: Awaited<ReturnType<typeof scrape>>) =>
      samples.filter((sample) => sample.name === 'router_supergraph_info').map((sample) => [sample.labels.version, sample.value]);

    test('shows the version /health/ready shows, follows a publish with one series, and flags a refused one', async () => {
      const first = await ready();
      let samples = await scrape();
      expect(versionsOf(samples)).toEqual([[first.version, 1]]);
      expect(sampleValue(samples, 'router_supergraph_reload_failing')).toBe(0);
      const loadedAt = sampleValue(samples, 'router_supergraph_loaded_timestamp_seconds');
      expect(loadedAt).toBeGreaterThan(0);

      // A new supergraph: the product subgraph without Category.slug.
      const sources = readSubgraphSources().map((source) =>
        source.name === 'product' ? { ...source, sdl: source.sdl.replace(/\n {2}"[^"\n]*"\n {2}slug: String!\n/, '\n') } : source,
      );
      const composed = composeSupergraph(sources);
      if (!composed.ok) throw new Error(JSON.stringify(composed.problems));
      publish(composed.supergraphSdl);
      await until(async () => (await ready()).version !== first.version);
      const second = await ready();
      samples = await scrape();
      expect(versionsOf(samples)).toEqual([[second.version, 1]]);
      expect(sampleValue(samples, 'router_supergraph_loaded_timestamp_seconds')).toBeGreaterThanOrEqual(loadedAt);

      publish('this is not a supergraph');
      await until(async () => sampleValue(await scrape(), 'router_supergraph_reload_failing') === 1);
      expect(versionsOf(await scrape())).toEqual([[second.version, 1]]);
    });
  });
});

describe('the alerting rules', () => {
  const promtool = findOnPath('promtool');
  const withPromtool = promtool ? test : test.skip;
  const skipped = promtool ? '' : ' (SKIPPED: no promtool on PATH; .ci/run installs Debian’s prometheus)';
  const run = (...args: string[]) => spawnSync(promtool ?? 'promtool', args, { cwd: monitoring, encoding: 'utf8', timeout: 60_000 });

  withPromtool(`pass promtool check rules${skipped}`, () => {
    const result = run('check', 'rules', 'alerts.yml');
    expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({ status: 0 });
  });

  withPromtool(`pass their unit tests (promtool test rules alerts.test.yml)${skipped}`, () => {
    const result = run('test', 'rules', 'alerts.test.yml');
    expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({ status: 0 });
  });

  test('every alert has a severity, a summary and a comment that explains its threshold', () => {
    const text = fs.readFileSync(path.join(monitoring, 'alerts.yml'), 'utf8');
    for (const rule of alerts.groups.flatMap((group) => group.rules)) {
      expect(['page', 'ticket']).toContain(rule.labels?.severity);
      // The comment lines right under `- alert: Name`.
      const block = new RegExp(`- alert: ${rule.alert}\\n((?:\\s+#.*\\n)+)\\s+expr:`).exec(text);
      expect(block?.[1].length ?? 0).toBeGreaterThan(40);
    }
  });
});

describe('Grafana and Prometheus in docker-compose.yml', () => {
  const datasources = parse(fs.readFileSync(path.join(monitoring, 'grafana', 'datasources.yaml'), 'utf8')) as {
    datasources: Array<{ uid: string; type: string; url: string }>;
  };
  const providers = parse(fs.readFileSync(path.join(monitoring, 'grafana', 'dashboards.yaml'), 'utf8')) as {
    providers: Array<{ type: string; options: { path: string } }>;
  };
  /** `./source:target[:ro]` mounts of a service, as { source (repository path), target }. */
  const mounts = (name: string) =>
    (service(name).volumes ?? [])
      .filter((volume): volume is string => typeof volume === 'string')
      .map((volume) => volume.split(':'))
      .filter(([source]) => source.startsWith('./'))
      .map(([source, target]) => ({ source: path.normalize(source), target }));

  test('Grafana provisions the Prometheus service as the data source the dashboard names', () => {
    const prometheus = datasources.datasources.find((source) => source.type === 'prometheus');
    expect(prometheus).toBeDefined();
    const url = new URL(prometheus?.url ?? '');
    expect(service('prometheus')).toBeDefined();
    expect(url.hostname).toBe('prometheus');
    expect((service('prometheus').ports ?? []).map(String).some((port) => port.endsWith(`:${url.port}`))).toBe(true);
    const uids = new Set(
      panels(dashboard.panels)
        .flatMap((panel) => [panel.datasource, ...(panel.targets ?? []).map((target) => target.datasource)])
        .filter((source) => source !== undefined)
        .map((source) => source.uid),
    );
    expect([...uids]).toEqual([prometheus?.uid]);
  });

  test('Grafana mounts the provisioning files where it reads them, and the dashboard where the provider looks', () => {
    const grafana = mounts('grafana');
    expect(grafana).toEqual(
      expect.arrayContaining([
        {
          source: 'deploy/monitoring/grafana/datasources.yaml',
          target: expect.stringMatching(/^\/etc\/grafana\/provisioning\/datasources\//),
        },
        {
          source: 'deploy/monitoring/grafana/dashboards.yaml',
          target: expect.stringMatching(/^\/etc\/grafana\/provisioning\/dashboards\//),
        },
      ]),
    );
    const dashboardMount = grafana.find((mount) => mount.source === 'deploy/monitoring/supergraph-dashboard.json');
    expect(path.dirname(dashboardMount?.target ?? '')).toBe(providers.providers[0].options.path);
    for (const mount of grafana) expect(fs.existsSync(path.join(repoRoot, mount.source))).toBe(true);
  });

  test('Prometheus loads the alerting rules through its rule_files', () => {
    const config = parse(fs.readFileSync(path.join(repoRoot, 'docker', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
    };
    const rules = mounts('prometheus').find((mount) => mount.source === 'deploy/monitoring/alerts.yml');
    expect(rules).toBeDefined();
    const matches = config.rule_files.some((pattern) =>
      new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`).test(rules?.target ?? ''),
    );
    expect(matches).toBe(true);
  });
});
