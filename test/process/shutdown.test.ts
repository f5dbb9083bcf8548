import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '../../scripts/lib/net';
import { projectPath } from '../../shared';
import { type FaultyProxy, startFaultyProxy } from '../helpers/faultyProxy';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { type Stack, startStack } from '../helpers/stack';

/**
 * The router as a real process, stopped with SIGTERM while clients keep it busy: readiness must fail first
 * (the load balancer, played here by a poller, stops sending), every request already sent must be answered
 * in full, and the process must exit 0.
 */
describe('router shutdown under load, as a real process', () => {
  let stack: Stack;
  let slowProduct: FaultyProxy;
  let router: ChildProcess;
  let output = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-shutdown-'));

  beforeAll(async () => {
    stack = await startStack('shutdown');
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Saw', priceCents: 100, stock: 1, categoryId: 1 }]);
    // Every product call takes 300 ms, so requests are in flight when SIGTERM arrives.
    slowProduct = await startFaultyProxy(stack.subgraphUrls.product, () => 'slow');
  });
  afterAll(async () => {
    if (router && router.exitCode === null) router.kill('SIGKILL');
    await slowProduct.close();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('drains: readiness 503 first, no in-flight request fails, exit code 0', async () => {
    const [port, adminPort] = await freePorts(2);
    router = spawn(process.execPath, [projectPath('dist', 'router', 'main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: dataDir,
        ROUTER_PORT: String(port),
        ROUTER_ADMIN_PORT: String(adminPort),
        ACCOUNT_URL: stack.subgraphUrls.account,
        PRODUCT_URL: slowProduct.url,
        ORDER_URL: stack.subgraphUrls.order,
        USAGE_RECORDING: 'false',
        // Longer than the balancer needs to notice on a busy 2-core machine; production's default is 5 s.
        SHUTDOWN_DRAIN_DELAY_MS: '1500',
        // Draining is under test, not load shedding: a machine busy with other work must not turn requests into
        // 503 OVERLOADED before SIGTERM (resilience.test.ts covers shedding).
        ROUTER_MAX_EVENT_LOOP_LAG_MS: '60000',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    router.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    router.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => router.on('exit', resolve));
    const admin = `http://127.0.0.1:${adminPort}/health/ready`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await fetch(admin).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline || router.exitCode !== null) throw new Error(`router did not get ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // The load balancer: polls readiness, and stops routing once it fails.
    let routing = true;
    let sawNotReady = false;
    const balancer = (async () => {
      while (routing) {
        const status = await fetch(admin).then(
          (response) => response.status,
          () => 0,
        );
        if (status !== 200) {
          sawNotReady = status === 503;
          routing = false;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const results: { status: number; errors?: unknown; data?: unknown }[] = [];
    const failures: string[] = [];
    const client = async () => {
      while (routing) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ product(id: "1") { name } }' }),
          });
          const body = (await response.json()) as { errors?: unknown; data?: unknown };
          results.push({ status: response.status, ...body });
        } catch (error) {
          failures.push(String((error as Error).cause ?? error));
        }
      }
    };
    const clients = Array.from({ length: 10 }, client);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    router.kill('SIGTERM');
    await Promise.all([...clients, balancer]);
    const code = await exited;

    expect(sawNotReady).toBe(true);
    expect(failures).toEqual([]);
    // Every request sent was answered in full, including those in flight when SIGTERM arrived.
    expect(results.length).toBeGreaterThanOrEqual(10);
    for (const result of results) expect(result).toMatchObject({ status: 200, data: { product: { name: 'Saw' } } });
    expect(results.filter((result) => result.errors !== undefined)).toEqual([]);
    expect(code).toBe(0);
    expect(output).toMatch(/"msg":"stopped"/);
  }, 60_000);
});
