/**
 * docker-compose.yml, docker/mysql/init.sql and the Dockerfile must agree with the defaults the code uses. Every
 * expectation comes from shared/defaults.ts, never from the compose file, so a port, a service name or a database
 * that drifts fails here instead of in a container that never turns healthy.
 *
 * Values are read as a fresh clone gets them: `${VAR:-default}` resolves to its default, as it does when
 * docker-compose runs with none of the variables set; the production tests set NODE_ENV=production and secrets
 * of their own, as an operator does.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { readRouterConfig, subgraphSecretFor } from '../../router/RouterConfig';
import { ConfigError, type Env, readSubgraphConfig, SHIPPED_SECRET_VALUES } from '../../shared';
import { DATABASE_NAMES, DEFAULT_PORTS, DEFAULT_SUPERGRAPH_PATH, SUBGRAPH_NAMES, type SubgraphName } from '../../shared/defaults';
import { readTelemetrySettings } from '../../shared/telemetry/config';
import { readOrderConfig } from '../../subgraphs/order/OrderConfig';
import { readProductConfig } from '../../subgraphs/product/ProductConfig';
import {
  compose,
  composePath,
  composeText,
  environmentOf,
  findOnPath,
  interpolate,
  rawEnvironmentOf,
  repoRoot,
  service,
  variableReferences,
} from '../helpers/compose';

/** `[[ip:]host:]container[/protocol]` or the long syntax, as { host, container } (host undefined when not published). */
function portMappings(name: string): Array<{ host?: number; container: number }> {
  return (service(name).ports ?? []).map((spec) => {
    if (typeof spec === 'number') return { container: spec };
    if (typeof spec === 'object') {
      const published = spec.published === undefined ? undefined : Number(interpolate(String(spec.published)));
      return { host: published, container: Number(spec.target) };
    }
    const parts = interpolate(spec).split('/')[0].split(':');
    const container = Number(parts[parts.length - 1]);
    return parts.length >= 2 ? { host: Number(parts[parts.length - 2]), container } : { container };
  });
}

/** Ports other services on the compose network can reach: `expose` plus the container side of `ports`. */
function containerPorts(name: string): number[] {
  const exposed = (service(name).expose ?? []).map((spec) => Number(interpolate(String(spec)).split('/')[0]));
  return [...exposed, ...portMappings(name).map((mapping) => mapping.container)];
}

function dependencyCondition(from: string, to: string): string | undefined {
  const dependsOn = service(from).depends_on;
  if (Array.isArray(dependsOn)) return dependsOn.includes(to) ? 'service_started' : undefined;
  const dependency = dependsOn?.[to];
  return dependency ? (dependency.condition ?? 'service_started') : undefined;
}

function commandOf(name: string): string[] {
  const command = service(name).command;
  return typeof command === 'string' ? command.trim().split(/\s+/) : (command ?? []);
}

function healthcheckText(name: string): string {
  const test = service(name).healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

const envName = (subgraph: SubgraphName): string => subgraph.toUpperCase();
const appServices = ['router', ...SUBGRAPH_NAMES] as const;
const healthPorts: Record<(typeof appServices)[number], number> = {
  router: DEFAULT_PORTS.routerAdmin,
  account: DEFAULT_PORTS.account,
  product: DEFAULT_PORTS.product,
  order: DEFAULT_PORTS.order,
};

/** The process's own config reader, as its main.ts calls it. */
function readConfigOf(name: (typeof appServices)[number], environment: Env): unknown {
  return name === 'router'
    ? readRouterConfig(environment)
    : name === 'order'
      ? readOrderConfig(environment)
      : name === 'product'
        ? readProductConfig(environment)
        : readSubgraphConfig(environment, name);
}

/**
 * What an operator sets for production: NODE_ENV=production and a value of their own (random, URL-safe) for
 * every variable whose default in the file is a published secret.
 */
const productionVariables: Record<string, string> = {
  NODE_ENV: 'production',
  ...Object.fromEntries(
    variableReferences(composeText)
      .filter((reference) => reference.fallback !== undefined && SHIPPED_SECRET_VALUES.includes(reference.fallback))
      .map((reference) => [reference.variable, randomBytes(24).toString('hex')]),
  ),
};

describe('docker-compose.yml', () => {
  test.each(appServices)('%s starts with its compose environment: its own config reader accepts it', (name) => {
    expect(() => readConfigOf(name, environmentOf(name))).not.toThrow();
  });

  // Before issue 13 this said "strong enough for production": the defaults were long enough to pass, but anyone
  // who reads the repository has them. Now they are refused in production (the tests below).
  test.each(SUBGRAPH_NAMES)('the router holds the credential %s expects', (subgraph) => {
    const router = readRouterConfig(environmentOf('router'));
    const own = readSubgraphConfig(environmentOf(subgraph), subgraph).routerSecret;
    expect(subgraphSecretFor(router, subgraph)).toBe(own);
  });

  test.each(appServices)('%s runs in development mode unless NODE_ENV is set, and in production when it is', (name) => {
    expect(rawEnvironmentOf(name).NODE_ENV).toMatch(/^\$\{NODE_ENV:?-development\}$/);
    expect(environmentOf(name).NODE_ENV).toBe('development');
    expect(environmentOf(name, { NODE_ENV: 'production' }).NODE_ENV).toBe('production');
  });

  test.each(appServices)('with NODE_ENV=production and the published defaults, %s refuses to start, naming a variable', (name) => {
    const read = () => readConfigOf(name, environmentOf(name, { NODE_ENV: 'production' }));
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/[A-Z_]+(SECRET|TOKEN|URL)\b.*published in this repository/);
  });

  test.each(appServices)('with NODE_ENV=production and secrets of its own, %s starts', (name) => {
    expect(Object.keys(productionVariables).length).toBeGreaterThan(5);
    expect(() => readConfigOf(name, environmentOf(name, productionVariables))).not.toThrow();
  });

  test.each(SUBGRAPH_NAMES)('in production too, the router holds the credential %s expects', (subgraph) => {
    const router = readRouterConfig(environmentOf('router', productionVariables));
    const own = readSubgraphConfig(environmentOf(subgraph, productionVariables), subgraph).routerSecret;
    expect(subgraphSecretFor(router, subgraph)).toBe(own);
  });

  test('keeps schema usage in the router database on the mysql service, which init.sql creates', () => {
    const usage = readRouterConfig(environmentOf('router')).usage.database;
    expect(usage).toMatchObject({ kind: 'mysql', host: 'mysql', database: 'router' });
    expect(readFileSync(resolve(repoRoot, 'docker/mysql/init.sql'), 'utf8')).toMatch(/CREATE DATABASE IF NOT EXISTS `router`/);
    expect(dependencyCondition('router', 'mysql')).toBe('service_healthy');
  });

  test('shares client budgets between router replicas through the redis service, started first', () => {
    const redisUrl = new URL(environmentOf('router').REDIS_URL);
    expect(redisUrl.hostname).toBe('redis');
    expect(compose.services?.redis).toBeDefined();
    expect(dependencyCondition('router', 'redis')).toBe('service_healthy');
    expect(readRouterConfig(environmentOf('router')).demand.redisUrl).toBe(environmentOf('router').REDIS_URL);
  });

  test('defines mysql, the router and one service per subgraph', () => {
    expect(Object.keys(compose.services ?? {}).sort()).toEqual(expect.arrayContaining(['mysql', ...appServices]));
  });

  test.each(SUBGRAPH_NAMES)('%s listens on its default port, in its environment and on the network', (subgraph) => {
    const port = DEFAULT_PORTS[subgraph];
    expect(environmentOf(subgraph)[`${envName(subgraph)}_PORT`]).toBe(String(port));
    expect(containerPorts(subgraph)).toContain(port);
  });

  test.each(SUBGRAPH_NAMES)('%s is reached through the router only (its port is not published)', (subgraph) => {
    expect(portMappings(subgraph).filter((mapping) => mapping.host !== undefined)).toEqual([]);
  });

  test('the router listens on its default ports and publishes them as they are', () => {
    const environment = environmentOf('router');
    expect(environment.ROUTER_PORT).toBe(String(DEFAULT_PORTS.router));
    expect(environment.ROUTER_ADMIN_PORT).toBe(String(DEFAULT_PORTS.routerAdmin));
    expect(portMappings('router')).toEqual(
      expect.arrayContaining([
        { host: DEFAULT_PORTS.router, container: DEFAULT_PORTS.router },
        { host: DEFAULT_PORTS.routerAdmin, container: DEFAULT_PORTS.routerAdmin },
      ]),
    );
  });

  test.each(SUBGRAPH_NAMES)('the router reaches %s by its service name and port', (subgraph) => {
    const raw = environmentOf('router')[`${envName(subgraph)}_URL`];
    expect(raw).toBeDefined();
    const url = new URL(raw);
    expect({ protocol: url.protocol, hostname: url.hostname, port: url.port, pathname: url.pathname }).toEqual({
      protocol: 'http:',
      hostname: subgraph,
      port: String(DEFAULT_PORTS[subgraph]),
      pathname: '/graphql',
    });
  });

  test('the router serves the supergraph the image ships', () => {
    const supergraphPath = environmentOf('router').SUPERGRAPH_PATH;
    if (supergraphPath !== undefined) expect(supergraphPath.endsWith(DEFAULT_SUPERGRAPH_PATH)).toBe(true);
  });

  test('mysql runs MySQL 8.4 with a password-protected application user that is not root', () => {
    expect(service('mysql').image).toMatch(/^mysql:8\.4(\.|$)/);
    const environment = environmentOf('mysql');
    expect(environment.MYSQL_USER).toBeTruthy();
    expect(environment.MYSQL_USER).not.toBe('root');
    expect(environment.MYSQL_PASSWORD).toBeTruthy();
    expect(environment.MYSQL_ROOT_PASSWORD).toBeTruthy();
  });

  test.each(SUBGRAPH_NAMES)('%s connects to the mysql service as the application user', (subgraph) => {
    const environment = environmentOf(subgraph);
    const raw = environment[`${envName(subgraph)}_DATABASE_URL`] ?? environment.DATABASE_URL;
    expect(raw).toBeDefined();
    const url = new URL(raw);
    const mysql = environmentOf('mysql');
    expect({
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port || '3306',
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    }).toEqual({
      protocol: 'mysql:',
      hostname: 'mysql',
      port: '3306',
      username: mysql.MYSQL_USER,
      password: mysql.MYSQL_PASSWORD,
    });
    // The URL names a server; each subgraph picks its own database on it.
    expect(['', '/', `/${DATABASE_NAMES[subgraph]}`]).toContain(url.pathname);
  });

  test.each(SUBGRAPH_NAMES)('%s starts once mysql is healthy', (subgraph) => {
    expect(dependencyCondition(subgraph, 'mysql')).toBe('service_healthy');
  });

  test.each(SUBGRAPH_NAMES)('the router starts once %s is healthy', (subgraph) => {
    expect(dependencyCondition('router', subgraph)).toBe('service_healthy');
  });

  test('every service has a healthcheck (but the collector, whose distroless image has nothing to run one with)', () => {
    const unchecked = Object.entries(compose.services ?? {})
      .filter(([name]) => name !== 'otel-collector')
      .filter(([, definition]) => {
        const test = definition.healthcheck?.test;
        const disabled = definition.healthcheck?.disable === true || (Array.isArray(test) && test[0] === 'NONE');
        return test === undefined || test.length === 0 || disabled;
      })
      .map(([name]) => name);
    expect(unchecked).toEqual([]);
  });

  test.each(appServices)('the healthcheck of %s asks its health endpoint with node (no curl in the image)', (name) => {
    const check = healthcheckText(name);
    expect(check).toContain(`127.0.0.1:${healthPorts[name]}/health/`);
    expect(check).toMatch(/\bnode\b/);
  });

  test('product and order share one INTERNAL_API_TOKEN, and order reaches product’s internal API', () => {
    const product = environmentOf('product').INTERNAL_API_TOKEN;
    const order = environmentOf('order').INTERNAL_API_TOKEN;
    expect(product).toBeTruthy();
    expect(order).toBe(product);
    const internalUrl = new URL(environmentOf('order').PRODUCT_INTERNAL_URL);
    expect({ hostname: internalUrl.hostname, port: internalUrl.port }).toEqual({
      hostname: 'product',
      port: String(DEFAULT_PORTS.product),
    });
  });

  test('the four processes run from one image, each with its own entry point', () => {
    const images = new Set(appServices.map((name) => service(name).image));
    expect(images.size).toBe(1);
    expect(commandOf('router')).toEqual(['node', 'dist/router/main.js']);
    for (const subgraph of SUBGRAPH_NAMES) {
      expect(commandOf(subgraph)).toEqual(['node', `dist/subgraphs/${subgraph}/main.js`]);
    }
  });

  test('the mysql init script creates every subgraph database and grants it to the application user', () => {
    const initScripts = (service('mysql').volumes ?? [])
      .map((volume) => {
        if (typeof volume === 'object') return { source: volume.source ?? '', target: volume.target };
        const [source, target = ''] = volume.split(':');
        return { source, target };
      })
      .filter(({ source, target }) => target.startsWith('/docker-entrypoint-initdb.d') && source.startsWith('.'));
    expect(initScripts).not.toEqual([]);
    const sql = initScripts
      .map(({ source }) => readFileSync(resolve(repoRoot, source), 'utf8'))
      .join('\n')
      .replace(/--.*$/gm, '');
    const user = environmentOf('mysql').MYSQL_USER;
    for (const database of Object.values(DATABASE_NAMES)) {
      expect(sql).toMatch(new RegExp(`CREATE\\s+DATABASE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?\`?${database}\`?[\\s;]`, 'i'));
      expect(sql).toMatch(new RegExp(`GRANT\\s+ALL(\\s+PRIVILEGES)?\\s+ON\\s+\`?${database}\`?\\.\\*\\s+TO\\s+'${user}'@'%'`, 'i'));
    }
  });

  describe('observability: collector, Jaeger, Prometheus', () => {
    const collector = parse(readFileSync(resolve(repoRoot, 'docker/otel-collector/config.yaml'), 'utf8')) as any;
    const prometheus = parse(readFileSync(resolve(repoRoot, 'docker/prometheus/prometheus.yml'), 'utf8')) as any;
    const mounted = (name: string, target: string) =>
      (service(name).volumes ?? []).some((volume) => typeof volume === 'string' && volume.split(':')[1] === target);

    test.each(appServices)('%s exports traces to the collector’s OTLP/HTTP receiver, and its telemetry settings accept that', (name) => {
      const environment = environmentOf(name);
      const endpoint = new URL(environment.OTEL_EXPORTER_OTLP_ENDPOINT);
      const receiver = collector.receivers.otlp.protocols.http.endpoint as string;
      expect({ host: endpoint.hostname, port: endpoint.port }).toEqual({ host: 'otel-collector', port: receiver.split(':')[1] });
      expect(readTelemetrySettings(environment, name)).toMatchObject({ enabled: true, serviceName: name });
      expect(environment.OTEL_TRACES_SAMPLER).toBe('parentbased_traceidratio');
      const ratio = Number(environment.OTEL_TRACES_SAMPLER_ARG);
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThanOrEqual(1);
    });

    test('the collector runs its config, receives OTLP and exports its traces pipeline to Jaeger’s OTLP port', () => {
      expect(mounted('otel-collector', '/etc/otelcol-contrib/config.yaml')).toBe(true);
      const pipeline = collector.service.pipelines.traces;
      expect(pipeline.receivers).toEqual(['otlp']);
      for (const exporter of pipeline.exporters) {
        const target = new URL(`http://${collector.exporters[exporter].endpoint}`);
        expect(target.hostname).toBe('jaeger');
        expect(containerPorts('jaeger')).toContain(Number(target.port));
      }
      for (const processor of pipeline.processors) expect(collector.processors).toHaveProperty(processor);
      expect(environmentOf('jaeger').COLLECTOR_OTLP_ENABLED).toBe('true');
      expect(portMappings('jaeger')).toEqual(expect.arrayContaining([{ host: 16686, container: 16686 }]));
    });

    test('Prometheus scrapes /metrics of the router on its admin port and of each subgraph on its own port', () => {
      expect(mounted('prometheus', '/etc/prometheus/prometheus.yml')).toBe(true);
      const targets = (prometheus.scrape_configs as any[]).flatMap((job) =>
        job.static_configs.flatMap((config: any) => config.targets.map((target: string) => `${target}${job.metrics_path ?? '/metrics'}`)),
      );
      expect(targets.sort()).toEqual(
        [
          `router:${DEFAULT_PORTS.routerAdmin}/metrics`,
          ...SUBGRAPH_NAMES.map((subgraph) => `${subgraph}:${DEFAULT_PORTS[subgraph]}/metrics`),
        ].sort(),
      );
    });
  });

  const dockerCompose = findOnPath('docker-compose');
  /** `docker-compose config` itself, with only `variables` in its environment (an empty file for .env, whatever is there). */
  const emptyEnvFile = join(mkdtempSync(join(tmpdir(), 'compose-env-')), 'empty.env');
  writeFileSync(emptyEnvFile, '');
  const composeConfig = (variables: Record<string, string>, ...args: string[]) =>
    spawnSync(dockerCompose ?? 'docker-compose', ['--env-file', emptyEnvFile, '-f', composePath, 'config', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', ...variables },
    });
  const withCompose = dockerCompose ? test : test.skip;
  const skipped = dockerCompose ? '' : ' (SKIPPED: no docker-compose on PATH; .ci/run installs it)';

  withCompose(`docker-compose config -q accepts the file with no variable set${skipped}`, () => {
    const result = composeConfig({}, '-q');
    expect({ error: result.error, status: result.status, stderr: result.stderr }).toMatchObject({ error: undefined, status: 0 });
  });

  withCompose(`docker-compose resolves development with no variable set, production when NODE_ENV says so${skipped}`, () => {
    const laptop = composeConfig({});
    const operator = composeConfig(productionVariables);
    expect([laptop.status, operator.status]).toEqual([0, 0]);
    const servicesOf = (output: string) => (parse(output) as { services: Record<string, { environment: Env }> }).services;
    for (const name of appServices) {
      expect(servicesOf(laptop.stdout)[name].environment.NODE_ENV).toBe('development');
      const environment = servicesOf(operator.stdout)[name].environment;
      expect(environment.NODE_ENV).toBe('production');
      expect(() => readConfigOf(name, environment)).not.toThrow();
      // The same file with the published defaults left in: refused.
      expect(() => readConfigOf(name, { ...servicesOf(laptop.stdout)[name].environment, NODE_ENV: 'production' })).toThrow(ConfigError);
    }
  });
});

describe('Dockerfile', () => {
  /** Instructions as [KEYWORD, arguments], continuation lines joined, comments dropped, split into stages. */
  const stages: Array<Array<[string, string]>> = [];
  for (const line of readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match || line.trim().startsWith('#')) continue;
    const instruction: [string, string] = [match[1].toUpperCase(), match[2].trim()];
    if (instruction[0] === 'FROM') stages.push([]);
    stages[stages.length - 1]?.push(instruction);
  }
  const runtime = stages[stages.length - 1] ?? [];
  const argumentsOf = (stage: Array<[string, string]>, keyword: string): string[] =>
    stage.filter(([name]) => name === keyword).map(([, args]) => args);

  test('is multi-stage, and every stage starts from node:20-bookworm-slim or an earlier stage', () => {
    expect(stages.length).toBeGreaterThan(1);
    const names: string[] = [];
    for (const stage of stages) {
      const [image, as, name] = argumentsOf(stage, 'FROM')[0].split(/\s+/);
      expect(image === 'node:20-bookworm-slim' || names.includes(image)).toBe(true);
      if (as?.toUpperCase() === 'AS' && name) names.push(name);
    }
    expect(argumentsOf(runtime, 'FROM')[0]).toMatch(/^node:20-bookworm-slim\b/);
  });

  test('runs as the node user with NODE_ENV=production', () => {
    expect(argumentsOf(runtime, 'USER').pop()).toBe('node');
    expect(argumentsOf(runtime, 'ENV').join(' ')).toMatch(/\bNODE_ENV[= ]production\b/);
  });

  test('the runtime image gets production dependencies, dist/ and schema/ (the router reads the supergraph)', () => {
    expect(stages.some((stage) => argumentsOf(stage, 'RUN').some((run) => /npm ci\b.*--omit=dev/.test(run)))).toBe(true);
    const copies = argumentsOf(runtime, 'COPY').join('\n');
    expect(copies).toMatch(/\bnode_modules\b/);
    expect(copies).toMatch(/\bdist\b/);
    expect(copies).toMatch(/\bschema\b/);
  });

  test('compiles every folder that tsconfig.build.json includes', () => {
    const { include } = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const copied = stages.flatMap((stage) => argumentsOf(stage, 'COPY')).flatMap((args) => args.split(/\s+/));
    const missing = include.filter((folder) => !copied.some((source) => source.replace(/^\.\//, '') === folder));
    expect(missing).toEqual([]);
  });

  test('.dockerignore keeps the host’s node_modules, dist/ and .env out of the build', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.env']));
  });
});
