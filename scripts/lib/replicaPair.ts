import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';

/**
 * A MariaDB primary and a replica of it, each a `mariadbd` of its own on its own port and data folder, for
 * tests, the soak and the bench: the primary writes a binary log, the replica follows it by GTID
 * (`MASTER_USE_GTID = slave_pos`) and can be held back by `MASTER_DELAY` so that lag is reproducible. Both let
 * `root` in over TCP on 127.0.0.1 with no password: a local test pair, never a deployment.
 */
export interface ReplicaPairOptions {
  /** Folder of the pair: `primary/`, `replica/` and `pair.json` go inside. */
  dir: string;
  primaryPort: number;
  replicaPort: number;
}

export type ServerRole = 'primary' | 'replica';

export const DEFAULT_PAIR_OPTIONS: ReplicaPairOptions = {
  dir: path.resolve('.data', 'replica-pair'),
  primaryPort: 3326,
  replicaPort: 3327,
};

interface PairState extends ReplicaPairOptions {
  /** The replication account's password, made up when the pair is created (local to this folder). */
  replicationPassword: string;
}

const STATE_FILE = 'pair.json';

/** `mysql://root@127.0.0.1:<port>` for each server, as `TEST_REPLICA_URLS` and `DATABASE_REPLICA_URLS` take them. */
export function pairUrls(options: Pick<ReplicaPairOptions, 'primaryPort' | 'replicaPort'>): { primary: string; replica: string } {
  return { primary: `mysql://root@127.0.0.1:${options.primaryPort}`, replica: `mysql://root@127.0.0.1:${options.replicaPort}` };
}

function serverDir(dir: string, role: ServerRole): string {
  return path.join(dir, role);
}

function readState(dir: string): PairState | null {
  const file = path.join(dir, STATE_FILE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as PairState) : null;
}

/** Reads the options a pair was created with (from its folder), e.g. for a test that has only the replica's data folder. */
export function pairAt(dir: string): ReplicaPairOptions {
  const state = readState(dir);
  if (!state) throw new Error(`${dir} holds no replica pair (${STATE_FILE} is missing)`);
  return { dir: state.dir, primaryPort: state.primaryPort, replicaPort: state.replicaPort };
}

async function connect(port: number, timeoutMs = 2_000): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '', connectTimeout: timeoutMs });
}

/** Whether a server answers on `port` (as root over TCP). */
export async function answers(port: number): Promise<boolean> {
  try {
    const connection = await connect(port, 1_000);
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pidOf(dir: string, role: ServerRole): number | null {
  const file = path.join(serverDir(dir, role), 'pid');
  if (!fs.existsSync(file)) return null;
  const pid = Number(fs.readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A MariaDB program, found as the shell finds it (the PATH), else in the folders Debian installs it to. */
function binary(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  for (const folder of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const candidate = path.join(folder, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} is not installed (apt-get install mariadb-server)`);
}

/** The server's options: both keep GTIDs strict; only the primary writes a binary log, the replica is read-only. */
function serverArguments(state: PairState, role: ServerRole): string[] {
  const folder = serverDir(state.dir, role);
  const common = [
    '--no-defaults',
    `--user=${os.userInfo().username}`,
    `--datadir=${path.join(folder, 'data')}`,
    `--port=${role === 'primary' ? state.primaryPort : state.replicaPort}`,
    '--bind-address=127.0.0.1',
    `--socket=${path.join(folder, 'sock')}`,
    `--pid-file=${path.join(folder, 'pid')}`,
    `--log-error=${path.join(folder, 'error.log')}`,
    '--innodb-buffer-pool-size=128M',
    '--max-connections=500',
    '--gtid-strict-mode=1',
  ];
  return role === 'primary'
    ? [...common, '--server-id=1', `--log-bin=${path.join(folder, 'data', 'binlog')}`, '--binlog-format=ROW']
    : [...common, '--server-id=2', '--skip-log-bin', '--read-only=1', '--relay-log=relay'];
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const log = logFile && fs.existsSync(logFile) ? `\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')}` : '';
      throw new Error(`${what} did not happen within ${timeoutMs / 1000} s${log}`);
    }
    await sleep(200);
  }
}

/** Starts one server of the pair if it does not answer yet (installing its data folder the first time). */
export async function startServer(options: ReplicaPairOptions, role: ServerRole): Promise<void> {
  const state = readState(options.dir);
  if (!state) throw new Error(`run start first: ${options.dir} holds no replica pair`);
  const port = role === 'primary' ? state.primaryPort : state.replicaPort;
  if (await answers(port)) return;
  const folder = serverDir(state.dir, role);
  if (!fs.existsSync(path.join(folder, 'data', 'mysql'))) {
    fs.mkdirSync(path.join(folder, 'data'), { recursive: true });
    const install = spawnSync(
      binary('mariadb-install-db'),
      [
        '--no-defaults',
        `--user=${os.userInfo().username}`,
        `--datadir=${path.join(folder, 'data')}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { encoding: 'utf8' },
    );
    if (install.status !== 0) throw new Error(`mariadb-install-db failed for the ${role}:\n${install.stderr}${install.stdout}`);
  }
  const child = spawn(binary('mariadbd'), serverArguments(state, role), { detached: true, stdio: 'ignore' });
  child.unref();
  await waitUntil(`the ${role} answering on ${port}`, () => answers(port), 60_000, path.join(folder, 'error.log'));
}

/** Stops one server (SIGTERM, a clean shutdown) and waits until its process is gone. */
export async function stopServer(options: ReplicaPairOptions, role: ServerRole): Promise<void> {
  const pid = pidOf(options.dir, role);
  if (pid === null || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  await waitUntil(`the ${role} (pid ${pid}) exiting`, async () => !alive(pid), 60_000);
}

/** Kills one server at once (SIGKILL): a crash, for fault tests. Resolves once the process is gone. */
export async function killServer(options: ReplicaPairOptions, role: ServerRole): Promise<void> {
  const pid = pidOf(options.dir, role);
  if (pid === null || !alive(pid)) return;
  process.kill(pid, 'SIGKILL');
  await waitUntil(`the ${role} (pid ${pid}) dying`, async () => !alive(pid), 10_000);
}

/**
 * Starts the pair (idempotent): both servers, the replication account on the primary, and replication on
 * the replica from the primary's first GTID. A pair that exists already is started as it was left.
 */
export async function startPair(options: ReplicaPairOptions = DEFAULT_PAIR_OPTIONS): Promise<void> {
  fs.mkdirSync(options.dir, { recursive: true });
  const existing = readState(options.dir);
  if (existing && (existing.primaryPort !== options.primaryPort || existing.replicaPort !== options.replicaPort)) {
    throw new Error(
      `${options.dir} holds a pair on ports ${existing.primaryPort}/${existing.replicaPort}: stop it and remove the folder to change ports`,
    );
  }
  const state: PairState = existing ?? { ...options, dir: path.resolve(options.dir), replicationPassword: randomBytes(18).toString('hex') };
  fs.writeFileSync(path.join(options.dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await startServer(state, 'primary');
  await startServer(state, 'replica');
  const primary = await connect(state.primaryPort);
  try {
    await primary.query("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''");
    await primary.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
    await primary.query("CREATE USER IF NOT EXISTS 'replication'@'127.0.0.1' IDENTIFIED BY ?", [state.replicationPassword]);
    await primary.query("GRANT REPLICATION SLAVE ON *.* TO 'replication'@'127.0.0.1'");
  } finally {
    await primary.end();
  }
  const replica = await connect(state.replicaPort);
  try {
    const [rows] = await replica.query('SHOW SLAVE STATUS');
    if ((rows as unknown[]).length === 0) {
      await replica.query(
        `CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${state.primaryPort}, MASTER_USER = 'replication', ` +
          'MASTER_PASSWORD = ?, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1',
        [state.replicationPassword],
      );
    }
    await replica.query('START SLAVE');
  } finally {
    await replica.end();
  }
  await waitUntil('replication running', async () => (await pairStatus(state)).replica.running === true, 30_000);
}

/** Stops both servers (replica first). Keeps the data folders, so `startPair` brings the same pair back. */
export async function stopPair(options: ReplicaPairOptions = DEFAULT_PAIR_OPTIONS): Promise<void> {
  await stopServer(options, 'replica');
  await stopServer(options, 'primary');
}

/** Holds the replica `seconds` behind the primary (`MASTER_DELAY`); 0 lets it follow at once again. */
export async function setReplicaDelay(options: Pick<ReplicaPairOptions, 'replicaPort'>, seconds: number): Promise<void> {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`the delay must be whole seconds, 0 or more, got ${seconds}`);
  const replica = await connect(options.replicaPort);
  try {
    await replica.query('STOP SLAVE');
    await replica.query(`CHANGE MASTER TO MASTER_DELAY = ${seconds}`);
    await replica.query('START SLAVE');
  } finally {
    await replica.end();
  }
}

export interface PairStatus {
  primary: { up: boolean; gtidBinlogPos?: string };
  replica: {
    up: boolean;
    running?: boolean;
    gtidSlavePos?: string;
    delaySeconds?: number;
    secondsBehindMaster?: number | null;
    lastError?: string;
  };
}

/** What each server says about itself: up, GTID positions, and the replica's threads, delay and last error. */
export async function pairStatus(options: Pick<ReplicaPairOptions, 'primaryPort' | 'replicaPort'>): Promise<PairStatus> {
  const status: PairStatus = { primary: { up: false }, replica: { up: false } };
  try {
    const primary = await connect(options.primaryPort, 1_000);
    try {
      const [[row]] = (await primary.query('SELECT @@GLOBAL.gtid_binlog_pos AS pos')) as unknown as [{ pos: string }[]];
      status.primary = { up: true, gtidBinlogPos: row.pos };
    } finally {
      await primary.end();
    }
  } catch {
    // Down: reported as such.
  }
  try {
    const replica = await connect(options.replicaPort, 1_000);
    try {
      const [[row]] = (await replica.query('SELECT @@GLOBAL.gtid_slave_pos AS pos')) as unknown as [{ pos: string }[]];
      const [slave] = (await replica.query('SHOW SLAVE STATUS')) as unknown as [Record<string, unknown>[]];
      const info = slave[0];
      status.replica = {
        up: true,
        gtidSlavePos: row.pos,
        running: info ? info.Slave_IO_Running === 'Yes' && info.Slave_SQL_Running === 'Yes' : false,
        delaySeconds: info ? Number(info.SQL_Delay) : undefined,
        secondsBehindMaster: info?.Seconds_Behind_Master === null || info === undefined ? null : Number(info.Seconds_Behind_Master),
        lastError: info ? String(info.Last_IO_Error || info.Last_SQL_Error || '') || undefined : undefined,
      };
    } finally {
      await replica.end();
    }
  } catch {
    // Down: reported as such.
  }
  return status;
}

/** Resolves once the replica has applied everything the primary had written when this was called. */
export async function waitForReplicaCatchUp(
  options: Pick<ReplicaPairOptions, 'primaryPort' | 'replicaPort'>,
  timeoutS = 30,
): Promise<void> {
  const primary = await connect(options.primaryPort);
  let position: string;
  try {
    const [[row]] = (await primary.query('SELECT @@GLOBAL.gtid_binlog_pos AS pos')) as unknown as [{ pos: string }[]];
    position = row.pos;
  } finally {
    await primary.end();
  }
  const replica = await connect(options.replicaPort);
  try {
    const [[row]] = (await replica.query('SELECT MASTER_GTID_WAIT(?, ?) AS waited', [position, timeoutS])) as unknown as [
      { waited: number }[],
    ];
    if (Number(row.waited) !== 0) throw new Error(`the replica did not reach ${position} within ${timeoutS} s`);
  } finally {
    await replica.end();
  }
}
