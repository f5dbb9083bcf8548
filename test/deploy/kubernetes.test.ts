/**
 * deploy/kubernetes/: both overlays rendered by the kustomize built into Debian's kubectl 1.20 (v2.0.3, the oldest
 * the manifests must work with), every object validated against the Kubernetes schemas (kubernetes-models), and
 * checked against the code: each container's environment goes through its process's own config reader, probes are
 * asked on a router and subgraphs started in this process, grace periods are compared with the drain settings the
 * reader gives, and no secret value of the repository ends up where production would take it.
 *
 * KUBECTL names the kubectl to use (default /opt/kubernetes-client/usr/bin/kubectl, where .ci/run extracts
 * Debian's kubernetes-client: the kubectl on PATH may bundle a newer kustomize that accepts more).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readRouterConfig } from '../../router';
import { ROUTER_NODE_FLAGS } from '../../router/nodeFlags';
import { type Env, readServerLimits, readSubgraphConfig, SHIPPED_SECRET_VALUES, SUBGRAPH_NAMES } from '../../shared';
import { readOrderConfig } from '../../subgraphs/order/OrderConfig';
import { readProductConfig } from '../../subgraphs/product/ProductConfig';
import { repoRoot } from '../helpers/compose';
import { type Stack, startStack } from '../helpers/stack';

const KUBECTL = process.env.KUBECTL ?? '/opt/kubernetes-client/usr/bin/kubectl';
const kubernetesRoot = path.join(repoRoot, 'deploy', 'kubernetes');
const APPS = ['router', ...SUBGRAPH_NAMES] as const;
type App = (typeof APPS)[number];

/** The secret files the prod overlay reads (one per value), as its kustomization lists them. */
const PROD_SECRET_FILES = [
  'jwt-secret',
  'redis-url',
  'router-database-url',
  'account-subgraph-secret',
  'product-subgraph-secret',
  'order-subgraph-secret',
  'internal-api-token',
  'account-database-url',
  'product-database-url',
  'order-database-url',
];

/** A rendered Kubernetes object, read field by field below. */
type K8sObject = Record<string, any>;

function kustomize(folder: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(KUBECTL, ['kustomize', folder], { encoding: 'utf8', timeout: 60_000 });
  if (result.error)
    throw new Error(`cannot run ${KUBECTL} (set KUBECTL, or run .ci/run's kubernetes-client step): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function render(folder: string): K8sObject[] {
  const result = kustomize(folder);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${folder} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJSON() as K8sObject)
    .filter(Boolean);
}

/** A copy of deploy/kubernetes in a temporary folder, with every prod secret file written (random values). */
function prodWithSecrets(skip: string[] = []): { root: string; values: Map<string, string> } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-'));
  fs.cpSync(kubernetesRoot, root, { recursive: true });
  const values = new Map<string, string>();
  for (const file of PROD_SECRET_FILES.filter((name) => !skip.includes(name))) {
    const secret = randomBytes(24).toString('hex');
    const value = file.endsWith('database-url')
      ? `mysql://app:${secret}@mysql.databases.svc:3306`
      : file === 'redis-url'
        ? `redis://:${secret}@redis.cache.svc:6379`
        : secret;
    values.set(file, value);
    // As an operator writes them: with a trailing newline.
    fs.writeFileSync(path.join(root, 'overlays', 'prod', 'secrets', file), `${value}\n`);
  }
  return { root, values };
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const appContainer = (objects: K8sObject[], app: App): K8sObject => {
  const container = named(objects, 'Deployment', app).spec.template.spec.containers.find((each: K8sObject) => each.name === app);
  if (!container) throw new Error(`Deployment ${app} has no container ${app}`);
  return container;
};

/** The environment a container gets: its values, and its Secrets' keys (envFrom and secretKeyRef), decoded. */
function environmentOf(objects: K8sObject[], container: K8sObject): Record<string, string> {
  const secret = (name: string): Record<string, string> => {
    const found = named(objects, 'Secret', name);
    return Object.fromEntries(
      Object.entries((found.data ?? {}) as Record<string, string>).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    );
  };
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) Object.assign(environment, secret(source.secretRef.name));
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) environment[variable.name] = String(variable.value);
    else if (variable.valueFrom?.secretKeyRef) {
      const { name, key } = variable.valueFrom.secretKeyRef;
      environment[variable.name] = secret(name)[key];
    }
  }
  return environment;
}

function readConfigOf(app: App, environment: Env) {
  if (app === 'router') {
    const config = readRouterConfig(environment);
    return { port: config.port, probePort: config.adminPort, ports: [config.port, config.adminPort], config };
  }
  const config =
    app === 'product'
      ? readProductConfig(environment)
      : app === 'order'
        ? readOrderConfig(environment)
        : readSubgraphConfig(environment, app);
  return { port: config.port, probePort: config.port, ports: [config.port], config };
}

/** A container port by name or number, as its containerPort. */
function containerPort(container: K8sObject, port: string | number): number {
  if (typeof port === 'number') return port;
  const found = (container.ports ?? []).find((each: K8sObject) => each.name === port);
  if (!found) throw new Error(`container ${container.name} has no port named ${port}`);
  return found.containerPort;
}

/** The model class of an object's apiVersion and kind, from kubernetes-models (and its prometheus-operator set). */
function modelOf(object: K8sObject): (new (data: K8sObject) => { validate(): void }) | undefined {
  const [group, version] = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/') : ['', object.apiVersion];
  const module = group.endsWith('coreos.com')
    ? require(`@kubernetes-models/prometheus-operator/${group}/${version}`)
    : require(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
  return module[object.kind];
}

/** How long a process may take to start before its startup probe gives up, in seconds. */
const startupWindowSeconds = (probe: K8sObject) =>
  (probe.initialDelaySeconds ?? 0) + (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);

describe('deploy/kubernetes', () => {
  let dev: K8sObject[];
  let prod: K8sObject[];
  let prodSecrets: Map<string, string>;
  let prodRoot: string;
  const overlays = () =>
    [
      ['dev', dev],
      ['prod', prod],
    ] as const;

  beforeAll(() => {
    dev = render(path.join(kubernetesRoot, 'overlays', 'dev'));
    const copy = prodWithSecrets();
    prodRoot = copy.root;
    prodSecrets = copy.values;
    prod = render(path.join(prodRoot, 'overlays', 'prod'));
  });
  afterAll(() => fs.rmSync(prodRoot, { recursive: true, force: true }));

  test('the router runs with its node flags (router/nodeFlags.ts) in both overlays', () => {
    for (const [, objects] of overlays()) {
      expect(appContainer(objects, 'router').command).toEqual(['node', ...ROUTER_NODE_FLAGS, 'dist/router/main.js']);
    }
  });

  test('the kubectl used is 1.20, whose built-in kustomize (v2.0.3) is the oldest the manifests must work with', () => {
    const version = spawnSync(KUBECTL, ['version', '--client', '--short'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/Client Version: v1\.20\./);
  });

  describe('rendering', () => {
    test('the prod overlay fails without its Secrets, naming the Secret’s files and the missing one', () => {
      const result = kustomize(path.join(kubernetesRoot, 'overlays', 'prod'));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/secrets\/[a-z-]+: no such file or directory/);
      expect(result.stdout).toBe('');
    });

    test.each(PROD_SECRET_FILES)('the prod overlay fails without secrets/%s, and says so', (file) => {
      const { root } = prodWithSecrets([file]);
      try {
        const result = kustomize(path.join(root, 'overlays', 'prod'));
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain(`secrets/${file}: no such file or directory`);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    test('the dev overlay renders from the repository alone; both have the four Deployments and Services', () => {
      for (const [, objects] of overlays()) {
        for (const app of APPS) {
          expect(named(objects, 'Deployment', app)).toBeDefined();
          expect(named(objects, 'Service', app)).toBeDefined();
        }
      }
    });

    test('every object is valid against the Kubernetes schemas (prometheus-operator’s for ServiceMonitors)', () => {
      const problems: string[] = [];
      for (const [overlay, objects] of overlays()) {
        for (const object of objects) {
          const where = `${overlay}: ${object.kind} ${object.metadata?.name}`;
          const Model = modelOf(object);
          if (!Model) {
            problems.push(`${where}: no schema for ${object.apiVersion} ${object.kind}`);
            continue;
          }
          try {
            new Model(object).validate();
          } catch (error) {
            problems.push(`${where}: ${(error as Error).message}`);
          }
        }
      }
      expect(problems).toEqual([]);
      expect(byKind(prod, 'ServiceMonitor').length).toBeGreaterThan(0);
    });

    test('the schema validation can fail (a Deployment with a port that is not a number)', () => {
      const broken = structuredClone(named(dev, 'Deployment', 'router'));
      broken.spec.template.spec.containers[0].ports[0].containerPort = 'four thousand';
      const Model = modelOf(broken);
      expect(() => Model && new Model(broken).validate()).toThrow(/containerPort/);
    });
  });

  describe.each(APPS)('%s', (app) => {
    test.each(['dev', 'prod'] as const)('in %s, its environment passes its config reader, in the mode the overlay says', (overlay) => {
      const objects = overlay === 'dev' ? dev : prod;
      const environment = environmentOf(objects, appContainer(objects, app));
      expect(environment.NODE_ENV).toBe(overlay === 'dev' ? 'development' : 'production');
      expect(() => readConfigOf(app, environment)).not.toThrow();
    });

    test('its container ports, Service and probe ports are the ones its config reader gives', () => {
      for (const [, objects] of overlays()) {
        const container = appContainer(objects, app);
        const { port, probePort, ports } = readConfigOf(app, environmentOf(objects, container));
        expect((container.ports ?? []).map((each: K8sObject) => each.containerPort).sort()).toEqual([...ports].sort());
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          expect(containerPort(container, container[probe].httpGet.port)).toBe(probePort);
        }
        const service = named(objects, 'Service', app);
        const targets = service.spec.ports.map((each: K8sObject) => containerPort(container, each.targetPort));
        expect(targets).toContain(port);
        // The Service answers on the same port number, which the routers' <NAME>_URL and DESIGN.md name.
        expect(service.spec.ports.find((each: K8sObject) => containerPort(container, each.targetPort) === port).port).toBe(port);
      }
    });

    test('its grace period covers preStop, the drain delay and the grace its config reader gives; preStop matches the drain', () => {
      for (const [, objects] of overlays()) {
        const pod = named(objects, 'Deployment', app).spec.template.spec;
        const container = appContainer(objects, app);
        const limits = readServerLimits(environmentOf(objects, container));
        const preStop = container.lifecycle.preStop.exec.command as string[];
        expect(preStop[0]).toBe('sleep');
        const preStopMs = Number(preStop[1]) * 1000;
        expect(limits.drainDelayMs).toBeGreaterThan(0);
        expect(preStopMs).toBe(limits.drainDelayMs);
        expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopMs + limits.drainDelayMs + limits.shutdownGraceMs);
      }
    });

    test('its startup probe waits longer than the migration lock can (shared/db/openDataSource.ts)', () => {
      const source = fs.readFileSync(path.join(repoRoot, 'shared', 'db', 'openDataSource.ts'), 'utf8');
      const lockWait = /GET_LOCK\(\?,\s*(\d+)\)/.exec(source);
      expect(lockWait).not.toBeNull();
      for (const [, objects] of overlays()) {
        expect(startupWindowSeconds(appContainer(objects, app).startupProbe)).toBeGreaterThan(Number(lockWait?.[1]));
      }
    });

    test('runs as non-root on a read-only root filesystem, writing only to emptyDir volumes, with requests and limits', () => {
      for (const [, objects] of overlays()) {
        const pod = named(objects, 'Deployment', app).spec.template.spec;
        const container = appContainer(objects, app);
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        const writable = (container.volumeMounts ?? []).filter((mount: K8sObject) => !mount.readOnly);
        expect(writable.length).toBeGreaterThan(0);
        for (const mount of writable) {
          expect(pod.volumes.find((volume: K8sObject) => volume.name === mount.name)).toHaveProperty('emptyDir');
        }
        expect(container.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
        expect(container.resources.limits).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
        // Service links would put ACCOUNT_PORT=tcp://… into the environment, which the config readers refuse.
        expect(pod.enableServiceLinks).toBe(false);
      }
    });
  });

  describe('probes asked on a running router and subgraphs', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack('kubernetes');
    });
    afterAll(() => stack.stop());

    const origin = (app: App) => (app === 'router' ? stack.adminUrl : new URL(stack.subgraphUrls[app]).origin);

    test.each(APPS)('every probe path of %s answers 200 on the port it probes', async (app) => {
      for (const [, objects] of overlays()) {
        const container = appContainer(objects, app);
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          const response = await fetch(`${origin(app)}${container[probe].httpGet.path}`);
          await response.arrayBuffer();
          expect({ probe, status: response.status }).toEqual({ probe, status: 200 });
        }
      }
      // And a path the process does not serve is not 200: the check above can fail.
      const missing = await fetch(`${origin(app)}/health/nope`);
      await missing.arrayBuffer();
      expect(missing.status).toBe(404);
    });

    test('the router’s readiness path is the one that turns 503 while it drains, and its liveness path stays 200', async () => {
      const container = appContainer(prod, 'router');
      const limits = readServerLimits(environmentOf(prod, container));
      // The prod settings, with a shorter drain so the test does not wait 5 s.
      const extra = await stack.startRouter({ limits: { ...limits, drainDelayMs: 2_000 } });
      const admin = `http://127.0.0.1:${(extra.router.adminServer.address() as { port: number }).port}`;
      const status = async (probe: string) => {
        const response = await fetch(`${admin}${container[probe].httpGet.path}`);
        await response.arrayBuffer();
        return response.status;
      };
      expect(await status('readinessProbe')).toBe(200);
      const stopping = extra.router.stop();
      const deadline = Date.now() + 2_000;
      let readiness = await status('readinessProbe');
      while (readiness === 200 && Date.now() < deadline) readiness = await status('readinessProbe');
      expect(readiness).toBe(503);
      expect(await status('livenessProbe')).toBe(200);
      await stopping;
    });
  });

  describe('the supergraph ConfigMap', () => {
    test('base/supergraph.graphql is schema/supergraph.graphql (npm run compose writes both)', () => {
      expect(fs.readFileSync(path.join(kubernetesRoot, 'base', 'supergraph.graphql'), 'utf8')).toBe(
        fs.readFileSync(path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8'),
      );
    });

    test('is mounted where the router’s SUPERGRAPH_PATH points, with the supergraph as the file', () => {
      for (const [, objects] of overlays()) {
        const deployment = named(objects, 'Deployment', 'router');
        const container = appContainer(objects, 'router');
        const supergraphPath = readRouterConfig(environmentOf(objects, container)).supergraphPath;
        const mount = container.volumeMounts.find((each: K8sObject) => each.mountPath === path.dirname(supergraphPath));
        const volume = deployment.spec.template.spec.volumes.find((each: K8sObject) => each.name === mount?.name);
        const configMap = named(objects, 'ConfigMap', volume?.configMap?.name);
        expect(configMap.data[path.basename(supergraphPath)].trimEnd()).toBe(
          fs.readFileSync(path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8').trimEnd(),
        );
      }
    });

    test('has a content-hash name, so a new supergraph rolls the routers', () => {
      const { root } = prodWithSecrets();
      try {
        const file = path.join(root, 'base', 'supergraph.graphql');
        fs.appendFileSync(file, '\n# a new version\n');
        const changed = render(path.join(root, 'overlays', 'prod'));
        const volumeOf = (objects: K8sObject[]) =>
          named(objects, 'Deployment', 'router').spec.template.spec.volumes.find((volume: K8sObject) => volume.configMap).configMap.name;
        expect(volumeOf(prod)).toMatch(/^supergraph-[a-z0-9]{6,}$/);
        expect(volumeOf(changed)).toMatch(/^supergraph-[a-z0-9]{6,}$/);
        expect(volumeOf(changed)).not.toBe(volumeOf(prod));
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('the router’s last-known-good copy and trusted proxies', () => {
    test('SUPERGRAPH_CACHE_PATH is on a writable emptyDir of the router, in both overlays', () => {
      for (const [overlay, objects] of overlays()) {
        const container = appContainer(objects, 'router');
        const cachePath = readRouterConfig(environmentOf(objects, container)).supergraphCachePath;
        expect({ overlay, cachePath }).toEqual({ overlay, cachePath: expect.stringMatching(/^\//) });
        const mount = container.volumeMounts.find((each: K8sObject) => (cachePath as string).startsWith(`${each.mountPath}/`));
        expect(mount?.readOnly).not.toBe(true);
        const volume = named(objects, 'Deployment', 'router').spec.template.spec.volumes.find(
          (each: K8sObject) => each.name === mount?.name,
        );
        expect(volume?.emptyDir).toBeDefined();
      }
    });

    test('prod trusts the placeholder ingress range docs/deployment.md names, dev trusts no proxy', () => {
      const trusted = readRouterConfig(environmentOf(prod, appContainer(prod, 'router'))).demand.trustedProxies;
      expect(trusted.includes('10.244.3.7')).toBe(true);
      expect(trusted.includes('203.0.113.9')).toBe(false);
      const range = environmentOf(prod, appContainer(prod, 'router')).TRUSTED_PROXIES;
      const deployment = fs.readFileSync(path.join(repoRoot, 'docs', 'deployment.md'), 'utf8');
      expect(deployment).toContain(`\`TRUSTED_PROXIES=${range}\``);
      expect(readRouterConfig(environmentOf(dev, appContainer(dev, 'router'))).demand.trustedProxies.includes('10.244.3.7')).toBe(false);
    });
  });

  describe('prod', () => {
    test('takes MySQL, Redis and the router’s usage store from the Secrets, and runs no database of its own', () => {
      const router = readRouterConfig(environmentOf(prod, appContainer(prod, 'router')));
      expect(router.demand.redisUrl).toBe(prodSecrets.get('redis-url'));
      expect(router.usage.database).toMatchObject({ kind: 'mysql', host: 'mysql.databases.svc', database: 'router' });
      for (const subgraph of SUBGRAPH_NAMES) {
        expect(readSubgraphConfig(environmentOf(prod, appContainer(prod, subgraph)), subgraph).database).toMatchObject({
          kind: 'mysql',
          host: 'mysql.databases.svc',
        });
      }
      expect(byKind(prod, 'StatefulSet')).toEqual([]);
      expect(prod.filter((object) => /mysql|redis/.test(object.metadata.name))).toEqual([]);
    });

    test.each(APPS)('scales %s on CPU with an autoscaler that scales down slowly, and limits disruptions', (app) => {
      const autoscaler = named(prod, 'HorizontalPodAutoscaler', app);
      expect(autoscaler.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
      expect(autoscaler.spec.metrics).toEqual([
        expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }),
      ]);
      expect(autoscaler.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(autoscaler.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
      expect(autoscaler.spec.behavior.scaleDown.policies.every((policy: K8sObject) => policy.type === 'Pods' && policy.value === 1)).toBe(
        true,
      );
      const budget = named(prod, 'PodDisruptionBudget', app);
      const podLabels = named(prod, 'Deployment', app).spec.template.metadata.labels;
      expect(podLabels).toMatchObject(budget.spec.selector.matchLabels);
      expect(budget.spec.maxUnavailable).toBeLessThan(autoscaler.spec.minReplicas);
    });

    test('its ServiceMonitors select the routers’ admin port and the subgraphs’ port, serving /metrics', () => {
      const services = byKind(prod, 'Service');
      const scraped: string[] = [];
      for (const monitor of byKind(prod, 'ServiceMonitor')) {
        for (const service of services.filter((each) =>
          Object.entries(monitor.spec.selector.matchLabels).every(([key, value]) => each.metadata.labels?.[key] === value),
        )) {
          for (const endpoint of monitor.spec.endpoints) {
            const port = service.spec.ports.find((each: K8sObject) => each.name === endpoint.port);
            if (port) scraped.push(`${service.metadata.name}:${port.port}${endpoint.path}`);
          }
        }
      }
      expect(scraped.sort()).toEqual(
        APPS.map((app) => {
          const { probePort } = readConfigOf(app, environmentOf(prod, appContainer(prod, app)));
          return `${app}:${probePort}/metrics`;
        }).sort(),
      );
    });
  });

  describe('dev', () => {
    test('runs one replica of each, no autoscaler, and MySQL and Redis of its own that the URLs point at', () => {
      for (const app of APPS) expect(named(dev, 'Deployment', app).spec.replicas).toBe(1);
      expect(byKind(dev, 'HorizontalPodAutoscaler')).toEqual([]);
      expect(named(dev, 'StatefulSet', 'mysql').spec.replicas).toBe(1);
      expect(named(dev, 'Deployment', 'redis').spec.replicas).toBe(1);
      const router = readRouterConfig(environmentOf(dev, appContainer(dev, 'router')));
      const redis = new URL(router.demand.redisUrl ?? '');
      expect(named(dev, 'Service', redis.hostname).spec.ports.map((port: K8sObject) => port.port)).toContain(Number(redis.port));
      for (const subgraph of SUBGRAPH_NAMES) {
        const database = readSubgraphConfig(environmentOf(dev, appContainer(dev, subgraph)), subgraph).database;
        if (database.kind !== 'mysql') throw new Error(`${subgraph} is not on MySQL in dev`);
        expect(named(dev, 'Service', database.host).spec.ports.map((port: K8sObject) => port.port)).toContain(database.port);
        expect(database.password).toBe(
          environmentOf(dev, named(dev, 'StatefulSet', 'mysql').spec.template.spec.containers[0]).MYSQL_ROOT_PASSWORD,
        );
      }
    });
  });

  describe('no secret value in the repository’s manifests', () => {
    const secretName = /(SECRET|TOKEN|PASSWORD)$/;
    const hasPassword = (value: string) => {
      try {
        return new URL(value).password !== '';
      } catch {
        return false;
      }
    };

    test('no container sets a secret (or a URL with a password) as a plain value: they all come from Secrets', () => {
      for (const [overlay, objects] of overlays()) {
        for (const workload of [...byKind(objects, 'Deployment'), ...byKind(objects, 'StatefulSet')]) {
          for (const container of workload.spec.template.spec.containers) {
            const plain = (container.env ?? []).filter(
              (variable: K8sObject) =>
                variable.value !== undefined && (secretName.test(variable.name) || hasPassword(String(variable.value))),
            );
            expect({ overlay, container: container.name, plain }).toEqual({ overlay, container: container.name, plain: [] });
          }
        }
      }
    });

    test('prod’s Secrets hold exactly the files an operator provided, and those values appear nowhere else', () => {
      const provided = new Set([...prodSecrets.values()].map((value) => `${value}\n`));
      const secretValues = byKind(prod, 'Secret').flatMap((secret) =>
        Object.values(secret.data as Record<string, string>).map((value) => Buffer.from(value, 'base64').toString('utf8')),
      );
      expect(secretValues.sort()).toEqual([...provided].sort());
      const outsideSecrets = JSON.stringify(prod.filter((object) => object.kind !== 'Secret'));
      for (const value of prodSecrets.values()) expect(outsideSecrets).not.toContain(value);
    });

    test('dev’s Secrets hold only values published in this repository, which every process refuses in production', () => {
      for (const secret of byKind(dev, 'Secret')) {
        for (const [key, encoded] of Object.entries(secret.data as Record<string, string>)) {
          const value = Buffer.from(encoded, 'base64').toString('utf8');
          const published =
            SHIPPED_SECRET_VALUES.includes(value) || (hasPassword(value) && SHIPPED_SECRET_VALUES.includes(new URL(value).password));
          const harmless = !secretName.test(key) && !hasPassword(value);
          expect({ key, ok: published || harmless }).toEqual({ key, ok: true });
        }
      }
      for (const app of APPS) {
        const environment = { ...environmentOf(dev, appContainer(dev, app)), NODE_ENV: 'production' };
        expect(() => readConfigOf(app, environment)).toThrow(/published in this repository/);
      }
    });
  });
});
