/**
 * `npm run replica -- start|stop|status|delay <seconds> [--dir .data/replica-pair] [--primary-port 3326] [--replica-port 3327]`:
 * a MariaDB primary and a GTID replica of it on ports and data folders of their own, for the replica tests
 * (`TEST_REPLICA_URLS`), the soak and the bench. `delay` holds the replica that many seconds behind (MASTER_DELAY).
 */
import path from 'node:path';
import {
  DEFAULT_PAIR_OPTIONS,
  pairStatus,
  pairUrls,
  type ReplicaPairOptions,
  setReplicaDelay,
  startPair,
  stopPair,
} from './lib/replicaPair';

const USAGE =
  'usage: npm run replica -- start|stop|status|delay <seconds> [--dir folder (.data/replica-pair)] [--primary-port 3326] [--replica-port 3327]';

function parseArguments(args: string[]): { command: string; delaySeconds: number; options: ReplicaPairOptions } {
  const options = { ...DEFAULT_PAIR_OPTIONS };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    const port = () => {
      const raw = value();
      if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) throw new Error(`${arg} must be a port number, got '${raw}'`);
      return Number(raw);
    };
    if (arg === '--dir') options.dir = path.resolve(value());
    else if (arg === '--primary-port') options.primaryPort = port();
    else if (arg === '--replica-port') options.replicaPort = port();
    else if (arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('--')) throw new Error(`unknown option '${arg}'\n${USAGE}`);
    else positional.push(arg);
  }
  const [command, delay] = positional;
  if (!['start', 'stop', 'status', 'delay'].includes(command ?? '')) throw new Error(USAGE);
  if (options.primaryPort === options.replicaPort) throw new Error('--primary-port and --replica-port must differ');
  let delaySeconds = 0;
  if (command === 'delay') {
    if (delay === undefined || !/^\d{1,5}$/.test(delay)) throw new Error(`delay needs whole seconds, e.g. delay 2\n${USAGE}`);
    delaySeconds = Number(delay);
  }
  return { command: command as string, delaySeconds, options };
}

async function main(): Promise<void> {
  const { command, delaySeconds, options } = parseArguments(process.argv.slice(2));
  const urls = pairUrls(options);
  if (command === 'start') {
    console.log(`[replica] starting the pair in ${options.dir}`);
    await startPair(options);
    console.log(`[replica] primary ${urls.primary}, replica ${urls.replica}: replicating`);
    console.log(`TEST_REPLICA_URLS=${urls.primary},${urls.replica}`);
  } else if (command === 'stop') {
    await stopPair(options);
    console.log('[replica] stopped (data kept)');
  } else if (command === 'delay') {
    await setReplicaDelay(options, delaySeconds);
    console.log(`[replica] the replica now stays ${delaySeconds} s behind`);
  } else {
    const status = await pairStatus(options);
    console.log(
      JSON.stringify({ primary: { url: urls.primary, ...status.primary }, replica: { url: urls.replica, ...status.replica } }, null, 2),
    );
    if (!status.primary.up || !status.replica.up || !status.replica.running) process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`[replica] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
