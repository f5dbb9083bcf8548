import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import Redis from 'ioredis';
import { acceptsConnections } from './net';

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `condition` holds (checked every 20 ms), or rejects with `what` after `ms`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A throw-away `redis-server` on `port`, up once it accepts connections. With `dir`, `stop` saves its data there
 * (SHUTDOWN SAVE) and a server started again on the same `dir` loads it back; without, nothing is kept.
 * `stop` waits for the process to exit.
 */
export async function startRedisServer(port: number, dir?: string): Promise<{ stop: () => Promise<void> }> {
  const persistence = dir ? ['--dir', dir, '--dbfilename', 'dump.rdb'] : [];
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...persistence],
    { stdio: 'ignore' },
  );
  await until(() => acceptsConnections(port), `redis-server on ${port}`);
  return {
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (dir) {
        const client = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => {});
        await client.call('SHUTDOWN', 'SAVE').catch(() => undefined);
        client.disconnect();
      } else {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
