import { spawn } from 'node:child_process';
import { projectPath } from '../../shared';

/**
 * Runs `node dist/<entry…>` with exactly `env` (nothing inherited), and resolves once it has exited and closed its
 * output, with its exit code and everything it printed (stdout and stderr together). With `timeoutMs`, the process
 * is sent SIGTERM if it is still running then.
 */
export function runToExit(
  entry: string[],
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [projectPath('dist', ...entry)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = timeoutMs === undefined ? null : setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
