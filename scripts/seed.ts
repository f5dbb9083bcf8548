/**
 * `npm run seed -- [--scale small|large]`: fills the account, product and order databases with
 * deterministic data, replacing what they hold. The databases come from the environment like the
 * subgraphs' (DATABASE_URL or <NAME>_DATABASE_URL for MySQL, else the embedded SQLite files under DATA_DIR).
 */
import 'reflect-metadata';
import { describeDatabase, readDatabaseConfig, SUBGRAPH_NAMES } from '../shared';
import { SCALES, type SeedProgress, type SeedScale, type SeedTargets, seed } from './lib/seed';

const USAGE = `usage: npm run seed -- [--scale small|large]

Fills the account, product and order databases with deterministic data, replacing what they hold.
  --scale small   ${SCALES.small.users} users, ${SCALES.small.products} products, ${SCALES.small.orders} orders (default)
  --scale large   ${SCALES.large.users.toLocaleString('en-US')} users, ${SCALES.large.products.toLocaleString('en-US')} products, ${SCALES.large.orders.toLocaleString('en-US')} orders, for benchmarks
  --help          show this help

Databases: DATABASE_URL (mysql://user:password@host:3306) or ACCOUNT_/PRODUCT_/ORDER_DATABASE_URL;
unset, the embedded SQLite files under DATA_DIR (.data/).`;

class UsageError extends Error {}

function parseArguments(args: readonly string[]): { scale: SeedScale } | 'help' {
  let scale: SeedScale = 'small';
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--help' || arg === '-h') return 'help';
    let value: string | undefined;
    if (arg === '--scale') value = args[++index];
    else if (arg.startsWith('--scale=')) value = arg.slice('--scale='.length);
    else throw new UsageError(`unknown argument '${arg}'`);
    if (value === undefined) throw new UsageError('--scale needs a value: small or large');
    if (!Object.hasOwn(SCALES, value)) throw new UsageError(`--scale must be small or large, got '${value}'`);
    scale = value as SeedScale;
  }
  return { scale };
}

/**
 * A progress bar on stderr: redrawn in place on a terminal; in a log (CI, docker), one line per
 * phase every 10%, so that the log stays readable.
 */
function progressReporter(stream: NodeJS.WriteStream): { report: (progress: SeedProgress) => void; end: () => void } {
  const width = 30;
  let lastPhase = '';
  let lastTenth = -1;
  let drawn = false;
  const line = ({ phase, done, total }: SeedProgress) => {
    const fraction = total === 0 ? 1 : done / total;
    const filled = Math.round(fraction * width);
    const percent = String(Math.floor(fraction * 100)).padStart(3);
    return `${phase.padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
  };
  return {
    report(progress) {
      if (stream.isTTY) {
        if (progress.phase !== lastPhase && drawn) stream.write('\n');
        stream.write(`\r${line(progress)}`);
        drawn = true;
        lastPhase = progress.phase;
        return;
      }
      const tenth = progress.total === 0 ? 10 : Math.floor((progress.done * 10) / progress.total);
      if (progress.phase !== lastPhase) lastTenth = -1;
      if (tenth > lastTenth) stream.write(`${line(progress)}\n`);
      lastPhase = progress.phase;
      lastTenth = tenth;
    },
    end() {
      if (stream.isTTY && drawn) stream.write('\n');
      drawn = false;
    },
  };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArguments>;
  try {
    parsed = parseArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`seed: ${error.message}\n\n${USAGE}\n`);
    return 1;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const targets = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, readDatabaseConfig(process.env, name)])) as unknown as SeedTargets;
  process.stderr.write(`Seeding scale '${parsed.scale}' into\n`);
  for (const name of SUBGRAPH_NAMES) process.stderr.write(`  ${name.padEnd(8)} ${describeDatabase(targets[name])}\n`);
  const progress = progressReporter(process.stderr);
  try {
    const summary = await seed(targets, { scale: parsed.scale, onProgress: progress.report });
    progress.end();
    process.stdout.write(
      `Seeded ${summary.scale}: ${summary.users} users, ${summary.categories} categories, ${summary.products} products, ` +
        `${summary.orders} orders, ${summary.orderItems} order items in ${summary.seconds.toFixed(1)} s\n`,
    );
    return 0;
  } finally {
    progress.end();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Driver errors name the user and host, never the password; describeDatabase above does the same.
    process.stderr.write(`seed failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
