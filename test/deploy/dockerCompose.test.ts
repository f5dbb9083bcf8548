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
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { readRouterConfig, subgraphSecretFor } from '../../router';
import { ROUTER_NODE_FLAGS } from '../../router/nodeFlags';
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

/** Whether a service mounts something (a bind mount, short syntax) at `target`. */
const mounted = (name: string, target: string) =>
  (service(name).volumes ?? []).some((volume) => typeof volume === 'string' && volume.split(':')[1] === target);

const envName = (subgraph: SubgraphName): string => subgraph.toUpperCase();
/** The two routers behind nginx: the same definition (one YAML anchor), two services. */
const routers = ['router-1', 'router-2'] as const;
const appServices = [...routers, ...SUBGRAPH_NAMES] as const;
type AppService = (typeof appServices)[number];
const isRouter = (name: AppService): name is (typeof routers)[number] => name.startsWith('router');
const healthPortOf = (name: AppService): number => (isRouter(name) ? DEFAULT_PORTS.routerAdmin : DEFAULT_PORTS[name as SubgraphName]);

/** The process's own config reader, as its main.ts calls it. */
function readConfigOf(name: AppService, environment: Env): unknown {
  return isRouter(name)
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
  test.each(SUBGRAPH_NAMES)('both routers hold the credential %s expects', (subgraph) => {
    const own = readSubgraphConfig(environmentOf(subgraph), subgraph).routerSecret;
    for (const name of routers) expect(subgraphSecretFor(readRouterConfig(environmentOf(name)), subgraph)).toBe(own);
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

  test.each(SUBGRAPH_NAMES)('in production too, both routers hold the credential %s expects', (subgraph) => {
    const own = readSubgraphConfig(environmentOf(subgraph, productionVariables), subgraph).routerSecret;
    for (const name of routers) {
      expect(subgraphSecretFor(readRouterConfig(environmentOf(name, productionVariables)), subgraph)).toBe(own);
    }
  });

  test.each(routers)('%s keeps schema usage in the router database on the mysql service, which init.sql creates', (router) => {
    const usage = readRouterConfig(environmentOf(router)).usage.database;
    expect(usage).toMatchObject({ kind: 'mysql', host: 'mysql', database: 'router' });
    expect(readFileSync(resolve(repoRoot, 'docker/mysql/init.sql'), 'utf8')).toMatch(/CREATE DATABASE IF NOT EXISTS `router`/);
    expect(dependencyCondition(router, 'mysql')).toBe('service_healthy');
  });

  test('both routers share client budgets through the one redis service, started first', () => {
    expect(compose.services?.redis).toBeDefined();
    const urls = routers.map((router) => readRouterConfig(environmentOf(router)).demand.redisUrl);
    expect(new URL(urls[0] ?? '').hostname).toBe('redis');
    expect(urls[1]).toBe(urls[0]);
    for (const router of routers) expect(dependencyCondition(router, 'redis')).toBe('service_healthy');
  });

  test('both routers run the same definition: one environment, one command, one healthcheck', () => {
    const [first, second] = routers.map((router) => ({
      environment: environmentOf(router),
      command: commandOf(router),
      healthcheck: healthcheckText(router),
      image: service(router).image,
    }));
    expect(second).toEqual(first);
  });

  test('defines mysql, redis, nginx, the two routers and one service per subgraph', () => {
    expect(Object.keys(compose.services ?? {}).sort()).toEqual(expect.arrayContaining(['mysql', 'redis', 'nginx', ...appServices]));
  });

  test.each(SUBGRAPH_NAMES)('%s listens on its default port, in its environment and on the network', (subgraph) => {
    const port = DEFAULT_PORTS[subgraph];
    expect(environmentOf(subgraph)[`${envName(subgraph)}_PORT`]).toBe(String(port));
    expect(containerPorts(subgraph)).toContain(port);
  });

  test.each(SUBGRAPH_NAMES)('%s is reached through the router only (its port is not published)', (subgraph) => {
    expect(portMappings(subgraph).filter((mapping) => mapping.host !== undefined)).toEqual([]);
  });

  test.each(routers)('%s listens on the default ports; only its admin port is published, on the loopback', (router) => {
    const config = readRouterConfig(environmentOf(router));
    expect({ port: config.port, adminPort: config.adminPort }).toEqual({
      port: DEFAULT_PORTS.router,
      adminPort: DEFAULT_PORTS.routerAdmin,
    });
    expect(containerPorts(router)).toEqual(expect.arrayContaining([DEFAULT_PORTS.router, DEFAULT_PORTS.routerAdmin]));
    const published = (service(router).ports ?? []).map(String);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+:${DEFAULT_PORTS.routerAdmin}$`));
  });

  test('the two routers publish their admin ports on different host ports', () => {
    const hostPorts = routers.map((router) => portMappings(router)[0]?.host);
    expect(new Set(hostPorts).size).toBe(routers.length);
    expect(hostPorts).toContain(DEFAULT_PORTS.routerAdmin);
  });

  test.each(SUBGRAPH_NAMES)('the routers reach %s by its service name and port', (subgraph) => {
    for (const router of routers) {
      const raw = environmentOf(router)[`${envName(subgraph)}_URL`];
      expect(raw).toBeDefined();
      const url = new URL(raw);
      expect({ protocol: url.protocol, hostname: url.hostname, port: url.port, pathname: url.pathname }).toEqual({
        protocol: 'http:',
        hostname: subgraph,
        port: String(DEFAULT_PORTS[subgraph]),
        pathname: '/graphql',
      });
    }
  });

  test.each(routers)('%s serves the supergraph the image ships', (router) => {
    const supergraphPath = environmentOf(router).SUPERGRAPH_PATH;
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

  test.each(SUBGRAPH_NAMES)('the routers start once %s is healthy', (subgraph) => {
    for (const router of routers) expect(dependencyCondition(router, subgraph)).toBe('service_healthy');
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
    expect(check).toContain(`127.0.0.1:${healthPortOf(name)}/health/`);
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

  test('the image starts the router with its node flags (router/nodeFlags.ts), as compose does', () => {
    const cmd = readFileSync(resolve(repoRoot, 'Dockerfile'), 'utf8').match(/^CMD (\[.*\])$/m);
    expect(cmd && JSON.parse(cmd[1])).toEqual(['node', ...ROUTER_NODE_FLAGS, 'dist/router/main.js']);
  });

  test('the five processes run from one image, each with its own entry point', () => {
    const images = new Set(appServices.map((name) => service(name).image));
    expect(images.size).toBe(1);
    for (const router of routers) expect(commandOf(router)).toEqual(['node', ...ROUTER_NODE_FLAGS, 'dist/router/main.js']);
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

    test.each(appServices)('%s exports traces to the collector’s OTLP/HTTP receiver, and its telemetry settings accept that', (name) => {
      const environment = environmentOf(name);
      const endpoint = new URL(environment.OTEL_EXPORTER_OTLP_ENDPOINT);
      const receiver = collector.receivers.otlp.protocols.http.endpoint as string;
      expect({ host: endpoint.hostname, port: endpoint.port }).toEqual({ host: 'otel-collector', port: receiver.split(':')[1] });
      const processName = isRouter(name) ? 'router' : name;
      expect(readTelemetrySettings(environment, processName)).toMatchObject({ enabled: true, serviceName: processName });
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

    test('Prometheus scrapes /metrics of each router on its admin port and of each subgraph on its own port', () => {
      expect(mounted('prometheus', '/etc/prometheus/prometheus.yml')).toBe(true);
      const targets = (prometheus.scrape_configs as any[]).flatMap((job) =>
        job.static_configs.flatMap((config: any) => config.targets.map((target: string) => `${target}${job.metrics_path ?? '/metrics'}`)),
      );
      expect(targets.sort()).toEqual(
        [
          ...routers.map((router) => `${router}:${DEFAULT_PORTS.routerAdmin}/metrics`),
          ...SUBGRAPH_NAMES.map((subgraph) => `${subgraph}:${DEFAULT_PORTS[subgraph]}/metrics`),
        ].sort(),
      );
    });
  });

  describe('nginx in front of the routers', () => {
    const nginxConf = readFileSync(resolve(repoRoot, 'docker/nginx/nginx.conf'), 'utf8').replace(/#.*$/gm, '');
    /** The first argument of each `directive …;` in the config (comments dropped). */
    const directives = (name: string): string[] =>
      [...nginxConf.matchAll(new RegExp(`(?:^|[\\s{;])${name}\\s+([^;]+);`, 'g'))].map(([, args]) => args.trim());
    const upstreamServers = directives('server').map((args) => args.split(/\s+/)[0]);
    const edgeNetwork = compose.networks?.edge?.ipam?.config?.[0]?.subnet ?? '';
    const networksOf = (name: string) => service(name).networks ?? {};
    const edgeAddressOf = (name: string) => {
      const networks = networksOf(name);
      return Array.isArray(networks) ? undefined : networks.edge?.ipv4_address;
    };
    /** Whether an IPv4 address is inside a CIDR range. */
    const inSubnet = (address: string, cidr: string) => {
      const [base, bits] = cidr.split('/');
      const network = (ip: string) =>
        Math.floor(ip.split('.').reduce((sum, part) => sum * 256 + Number(part), 0) / 2 ** (32 - Number(bits)));
      return /^\d+\.\d+\.\d+\.\d+$/.test(address) && network(address) === network(base);
    };

    test('mounts docker/nginx/nginx.conf as its configuration', () => {
      expect(mounted('nginx', '/etc/nginx/nginx.conf')).toBe(true);
      expect((service('nginx').volumes ?? []).map(String)).toContain('./docker/nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
    });

    test('balances over exactly the two routers, at the GraphQL port their config reader gives', () => {
      const expected = routers.map((router) => `${router}:${readRouterConfig(environmentOf(router)).port}`);
      expect(upstreamServers.filter((server) => server.includes(':') && !server.startsWith('127.0.0.1')).sort()).toEqual(expected.sort());
      expect(directives('proxy_pass')).toEqual(['http://routers']);
      expect(nginxConf).toMatch(/upstream\s+routers\s*\{/);
    });

    test('publishes the default router port (DESIGN.md: 4000) to the port nginx listens on', () => {
      const listen = directives('listen')
        .filter((args) => /^\d+$/.test(args))
        .map(Number);
      expect(listen).toHaveLength(1);
      expect(portMappings('nginx')).toEqual([{ host: DEFAULT_PORTS.router, container: listen[0] }]);
      // The public port belongs to nginx alone now.
      for (const router of routers) expect(portMappings(router).some((mapping) => mapping.host === DEFAULT_PORTS.router)).toBe(false);
    });

    test('sets X-Forwarded-For, which each router believes from nginx’s fixed address only', () => {
      expect(directives('proxy_set_header')).toContain('X-Forwarded-For $proxy_add_x_forwarded_for');
      const nginxAddress = edgeAddressOf('nginx') ?? '';
      expect(inSubnet(nginxAddress, edgeNetwork)).toBe(true);
      // nginx is on the edge network only, so the routers see its connections from that address.
      expect(Object.keys(networksOf('nginx'))).toEqual(['edge']);
      for (const router of routers) {
        expect(readRouterConfig(environmentOf(router)).demand.trustedProxies.entries).toEqual([nginxAddress]);
        expect(Object.keys(networksOf(router)).sort()).toEqual(['default', 'edge']);
      }
    });

    test('gives the routers fixed, distinct addresses on the edge network (nginx resolves their names once)', () => {
      const addresses = [...routers, 'nginx'].map((name) => edgeAddressOf(name) ?? '');
      expect(new Set(addresses).size).toBe(3);
      for (const address of addresses) expect(inSubnet(address, edgeNetwork)).toBe(true);
    });

    test('leaves the body limit and the request deadline to the routers (nginx’s are larger)', () => {
      const config = readRouterConfig(environmentOf('router-1'));
      const size = /^(\d+)([km]?)$/i.exec(directives('client_max_body_size')[0] ?? '');
      const bytes = Number(size?.[1]) * ({ '': 1, k: 1024, m: 1024 * 1024 } as Record<string, number>)[(size?.[2] ?? '').toLowerCase()];
      expect(bytes).toBeGreaterThan(config.maxBodyBytes);
      const readTimeout = /^(\d+)s$/.exec(directives('proxy_read_timeout')[0] ?? '');
      expect(Number(readTimeout?.[1]) * 1000).toBeGreaterThan(config.requestTimeoutMs);
    });

    test('retries elsewhere only what never reached a router, and keeps no idle upstream connections', () => {
      expect(directives('proxy_next_upstream')).toEqual(['error timeout']);
      expect(directives('keepalive')).toEqual([]);
    });

    test('starts once both routers are healthy (their healthcheck asks /health/ready)', () => {
      for (const router of routers) {
        expect(dependencyCondition('nginx', router)).toBe('service_healthy');
        expect(healthcheckText(router)).toContain(`/health/ready`);
      }
    });

    const nginx = findOnPath('nginx');
    (nginx ? test : test.skip)(
      `nginx -t accepts the configuration (router names resolved to the loopback)${nginx ? '' : ' (SKIPPED: no nginx on PATH)'}`,
      () => {
        const folder = mkdtempSync(join(tmpdir(), 'nginx-conf-'));
        const configuration = join(folder, 'nginx.conf');
        // Outside the compose network the routers' names do not resolve, and nginx -t resolves upstream servers.
        writeFileSync(
          configuration,
          readFileSync(resolve(repoRoot, 'docker/nginx/nginx.conf'), 'utf8').replace(/\brouter-\d+(?=:\d+)/g, '127.0.0.1'),
        );
        // The config logs to /dev/stdout and /dev/stderr (the container's); Node's pipes are sockets, which those
        // paths cannot open, so nginx writes to files here.
        const output = join(folder, 'output.log');
        const fd = openSync(output, 'w');
        const result = spawnSync(
          nginx ?? 'nginx',
          ['-t', '-p', folder, '-c', configuration, '-e', 'stderr', '-g', `pid ${join(folder, 'nginx.pid')};`],
          { stdio: ['ignore', fd, fd], timeout: 30_000 },
        );
        closeSync(fd);
        const printed = readFileSync(output, 'utf8');
        rmSync(folder, { recursive: true, force: true });
        expect({ status: result.status, output: printed }).toEqual({ status: 0, output: expect.stringContaining('test is successful') });
      },
    );
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
