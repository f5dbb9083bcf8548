import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectPath } from '../../shared';

const run = promisify(execFile);

/** The router process (compiled by `npm test`'s build step) started on a supergraph it must refuse. */
async function startRouterOn(sdl: string): Promise<{ code: number; lines: string[] }> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'refused-'));
  const file = path.join(directory, 'supergraph.graphql');
  fs.writeFileSync(file, sdl);
  try {
    await run(process.execPath, [projectPath('dist', 'router', 'main.js')], {
      env: { ...process.env, SUPERGRAPH_PATH: file, ROUTER_PORT: '0', ROUTER_ADMIN_PORT: '0', USAGE_RECORDING: 'false', LOG_LEVEL: 'info' },
      timeout: 30_000,
    });
    return { code: 0, lines: [] };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, lines: `${failed.stdout}${failed.stderr}`.split('\n').filter(Boolean) };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

describe('the router process on a supergraph it refuses', () => {
  it('exits 1 with one log line that says why', async () => {
    const published = fs
      .readFileSync(projectPath('schema', 'supergraph.graphql'), 'utf8')
      .replace(
        '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)',
        '@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
      );
    const { code, lines } = await startRouterOn(published);
    expect(code).toBe(1);
    const fatal = lines.map((line) => JSON.parse(line)).filter((record) => record.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0].msg).toMatch(
      /^supergraph refused: Refusing the supergraph, as stock @apollo\/gateway does: it links https:\/\/specs\.apollo\.dev\/policy\/v0\.1 \(for: SECURITY\): it restricts access with @policy/,
    );
    expect(fatal[0].err).toBeUndefined();
  });
});
