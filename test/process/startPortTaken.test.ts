import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { localSupergraphEnv } from '../../scripts/lib/net';
import { acceptsConnections } from '../helpers/net';
import { runToExit } from '../helpers/processes';

/**
 * Runs `npm start`'s script (compiled by `npm test`'s build step) to its exit; resolves with its code and output.
 * One that is still running after `timeoutMs` is stopped with SIGTERM (it then stops whatever it started).
 */
function runStart(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return runToExit(['scripts', 'start.js'], env, timeoutMs);
}

/**
 * `npm start` while an earlier stack (here a plain listener) still holds one of its ports: it must not start
 * anything, nor say that anything is ready (issue 13, item 9), whichever of the five ports is taken.
 */
describe('npm start with a port already taken', () => {
  it.each(['ACCOUNT_PORT', 'PRODUCT_PORT', 'ORDER_PORT', 'ROUTER_PORT', 'ROUTER_ADMIN_PORT'])(
    'names %s, exits 1 and starts nothing',
    async (variable) => {
      const local = await localSupergraphEnv();
      const taken = Number(local.env[variable]);
      // Without a host, as the stack's own processes listen.
      const holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen(taken, resolve));
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-start-taken-'));
      try {
        const env: Record<string, string> = { ...(process.env as Record<string, string>), DATA_DIR: dataDir, ...local.env };
        delete env.DATABASE_URL;
        const { code, output } = await runStart(env, 20_000);

        expect(code).toBe(1);
        expect(output).toContain(`port ${taken} (${variable}`);
        expect(output).toContain(`set ${variable} to a free port`);
        expect(output).toContain('nothing was started');
        // No "account ready on port …", no "Supergraph ready", no line from a child process, not even the seed.
        expect(output).not.toMatch(/\bready\b/);
        expect(output).not.toMatch(/^\[(account|product|order|router)\]/m);
        expect(output).not.toContain('seeding');
        expect(fs.readdirSync(dataDir)).toEqual([]);
        for (const port of Object.values(local.ports).filter((port) => port !== taken)) {
          expect(await acceptsConnections(port)).toBe(false);
        }
      } finally {
        await new Promise((resolve) => holder.close(resolve));
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    30_000,
  );
});
