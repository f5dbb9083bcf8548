/** The command line of `npm run bench` (its usage is the head comment of bench.js, which `--help` prints). */
const fs = require('node:fs');
const path = require('node:path');
const { BENCH_DIR } = require('./config');
const { OPERATIONS } = require('./operations');

const ROUTERS = ['ours', 'stock', 'hive', 'floor'];

function parseOptions(argv) {
  const options = {
    quick: false,
    distinct: false,
    canned: false,
    embedded: false,
    build: true,
    reseed: false,
    reusePass: false,
    duration: null,
    rounds: null,
    warmup: null,
    connections: 32,
    routers: [...ROUTERS],
    operations: OPERATIONS.map((op) => op.name),
    out: path.join(BENCH_DIR, 'results'),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--distinct':
        options.distinct = true;
        break;
      case '--canned':
        options.canned = true;
        break;
      case '--embedded':
        options.embedded = true;
        break;
      case '--no-build':
        options.build = false;
        break;
      case '--reuse-pass':
        options.reusePass = true;
        break;
      case '--reseed':
        options.reseed = true;
        break;
      case '--duration':
        options.duration = Number(value());
        break;
      case '--rounds':
        options.rounds = Number(value());
        break;
      case '--warmup':
        options.warmup = Number(value());
        break;
      case '--connections':
        options.connections = Number(value());
        break;
      case '--routers':
        options.routers = value().split(',').filter(Boolean);
        break;
      case '--operations':
        options.operations = value().split(',').filter(Boolean);
        break;
      case '--out':
        options.out = path.resolve(value());
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${fs.readFileSync(path.join(BENCH_DIR, 'bench.js'), 'utf8').split('\n').slice(1, 8).join('\n')}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option '${argv[i]}' (see --help)`);
    }
  }
  options.duration ??= options.quick ? 3 : 10;
  options.rounds ??= 3;
  options.warmup ??= options.quick ? 1 : 5;
  for (const router of options.routers) {
    if (!ROUTERS.includes(router)) throw new Error(`--routers: unknown router '${router}'`);
  }
  for (const op of options.operations) {
    if (!OPERATIONS.some((o) => o.name === op)) throw new Error(`--operations: unknown operation '${op}'`);
  }
  if (options.routers.includes('floor') && !options.routers.includes('stock')) {
    // The floor replays what the stock gateway asks the subgraphs: it needs the stock gateway's pass.
    throw new Error('--routers: the floor needs stock (it replays the stock gateway’s subgraph requests)');
  }
  return options;
}

module.exports = { parseOptions };
