import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPath } from '../../shared';

const { clientRequestKey, subgraphRequestKey, writeJsonLines } = require('../../bench/lib/recordings');

/**
 * The bench's replaying processes (bench/README.md, canned mode and the floor): each answers a request with the
 * recording of the same request **from the same caller**, which the distinct canned bench rests on ("my orders"
 * asks the account subgraph the same body for every user).
 */
interface Started {
  child: ChildProcess;
  url: string;
}

/** Starts `bench/routers/<script>` on a free port; resolves once it says on which. */
function startReplayer(script: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [projectPath('bench', 'routers', script)], {
    env: { PATH: process.env.PATH ?? '', BENCH_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stderr?.on('data', (chunk) => {
      output += chunk;
      const port = /ready on port (\d+)/.exec(output)?.[1];
      if (port) resolve({ child, url: `http://127.0.0.1:${port}` });
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
}

const stop = (started: Started | undefined) =>
  new Promise<void>((resolve) => {
    if (!started || started.child.exitCode !== null) return resolve();
    started.child.once('exit', () => resolve());
    started.child.kill('SIGTERM');
  });

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: response.status, text: await response.text() };
}

describe('the bench replaying recordings', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replay-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('canned subgraphs answer the same body with each caller’s own recording, and count what they lack', async () => {
    const body = '{"query":"{ me { id } }"}';
    const answer = (user: string) => `{"data":{"me":{"id":"${user}"}}}`;
    const file = path.join(dir, 'canned.jsonl');
    writeJsonLines(
      file,
      ['325', '326'].map((user) => ({
        key: subgraphRequestKey('/account/graphql', { 'x-user-id': user }, Buffer.from(body)),
        status: 200,
        contentType: 'application/json',
        body: answer(user),
      })),
    );
    let canned: Started | undefined;
    try {
      canned = await startReplayer('canned.js', { BENCH_CANNED: file });
      const graphql = `${canned.url}/account/graphql`;
      expect(await post(graphql, body, { 'x-user-id': '325' })).toEqual({ status: 200, text: answer('325') });
      expect(await post(graphql, body, { 'x-user-id': '326' })).toEqual({ status: 200, text: answer('326') });
      expect((await post(graphql, body, { 'x-user-id': '327' })).status).toBe(500);
      expect((await post(`${canned.url}/order/graphql`, body, { 'x-user-id': '325' })).status).toBe(500);
      expect(await (await fetch(`${canned.url}/`)).json()).toEqual({ status: 'ready', entries: 2, misses: 2 });
    } finally {
      await stop(canned);
    }
  });

  it('the floor, on canned subgraphs, sends the recorded answer of the same request from the same user', async () => {
    const myOrders = '{"query":"query MyOrders { me { id } }","operationName":"MyOrders"}';
    const detail = '{"query":"query ProductDetail { product(id: \\"1\\") { id } }","operationName":"ProductDetail"}';
    const file = path.join(dir, 'floor.jsonl');
    writeJsonLines(file, [
      { key: clientRequestKey('325', myOrders), response: '{"data":{"me":{"id":"325"}}}', stages: null },
      { key: clientRequestKey('326', myOrders), response: '{"data":{"me":{"id":"326"}}}', stages: null },
      { key: clientRequestKey('', detail), response: '{"data":{"product":{"id":"1"}}}', stages: null },
    ]);
    let floor: Started | undefined;
    try {
      floor = await startReplayer('floor.js', { BENCH_FLOOR_PLAN: file });
      expect(await post(floor.url, myOrders, { 'x-user-id': '326' })).toEqual({ status: 200, text: '{"data":{"me":{"id":"326"}}}' });
      expect(await post(floor.url, myOrders, { 'x-user-id': '325' })).toEqual({ status: 200, text: '{"data":{"me":{"id":"325"}}}' });
      expect(await post(floor.url, detail)).toEqual({ status: 200, text: '{"data":{"product":{"id":"1"}}}' });
      // Anonymous "my orders" and a signed-in product detail were never recorded.
      expect((await post(floor.url, myOrders)).status).toBe(404);
      expect((await post(floor.url, detail, { 'x-user-id': '325' })).status).toBe(404);
    } finally {
      await stop(floor);
    }
  });
});
