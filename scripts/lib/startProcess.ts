import { type ChildProcess, spawn } from 'node:child_process';
import { projectPath } from '../../shared';

export interface StartedSupergraph {
  child: ChildProcess;
  /** Everything the four processes printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs `npm start`'s script (dist/scripts/start.js: the three subgraphs and the router) with `env`, and resolves
 * once it prints that the supergraph is ready; rejects with its output if it exits or times out first.
 */
export async function startSupergraphProcess(env: Record<string, string>, timeoutMs: number): Promise<StartedSupergraph> {
  const child = spawn(process.execPath, [projectPath('dist', 'scripts', 'start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('Supergraph ready')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.exitCode === null) child.kill('SIGKILL');
      throw new Error(`npm start did not get ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    output: () => output,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
