/**
 * `npm run bench:telemetry`: what tracing costs. Runs the supergraph as real processes (`npm start`'s four) three
 * times, with telemetry off (no OTLP endpoint: the SDK is never loaded), sampled at 10 % and at 100 %
 * (`parentbased_traceidratio`, exporting OTLP/HTTP protobuf to a local sink that discards), and drives each with
 * a closed-loop load: N concurrent loops sending the cross-subgraph query (account → order → product) back to
 * back for a fixed time. The modes take turns for several rounds (so drift on a shared machine hits each alike);
 * prints each mode's median round: throughput and latency percentiles.
 *
 *   npm run bench:telemetry -- [--seconds 10] [--concurrency 16] [--warmup 3] [--rounds 3]
 *
 * Embedded SQLite (seeded small in a temporary folder) unless DATABASE_URL is set (then MySQL databases
 * `bench_tel_*`, seeded small first).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { readRouterConfig, signDevelopmentToken } from '../router';
import { readDatabaseConfig, SUBGRAPH_NAMES } from '../shared';
import { localSupergraphEnv } from './lib/net';
import { type SeedTargets, seed } from './lib/seed';
import { startSupergraphProcess } from './lib/startProcess';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const SECONDS = option('seconds', 10);
const WARMUP_SECONDS = option('warmup', 3);
const CONCURRENCY = option('concurrency', 16);
const ROUNDS = option('rounds', 3);

const QUERY =
  '{ user(id: "1") { name orders(first: 5) { edges { node { id total { amount currency } items { quantity product { name price { amount currency } } } } } } } }';

interface Mode {
  name: string;
  env: Record<string, string>;
}

/** An OTLP/HTTP endpoint that accepts and discards: counts requests and bytes. */
async function startSink(): Promise<{ url: string; requests: number; bytes: number; close(): Promise<void> }> {
  const sink = { url: '', requests: 0, bytes: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      sink.bytes += chunk.length;
    });
    req.on('end', () => {
      sink.requests++;
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  sink.close = () =>
    new Promise<undefined>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve(undefined));
    });
  return sink;
}

async function startSupergraph(baseEnv: Record<string, string>, modeEnv: Record<string, string>) {
  const local = await localSupergraphEnv();
  const env: Record<string, string> = {
    ...baseEnv,
    ...local.env,
    LOG_LEVEL: 'warn',
    // One client floods: its budget must not be what is measured.
    BUDGET_MODE: 'off',
    ...modeEnv,
  };
  const supergraph = await startSupergraphProcess(env, 90_000);
  return { url: `http://127.0.0.1:${local.ports.router}`, stop: () => supergraph.stop(20_000) };
}

interface Result {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/** N loops, each sending the next request when the previous one has answered, until the time is up. */
async function closedLoop(url: string, token: string, seconds: number, concurrency: number): Promise<Result> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const body = JSON.stringify({ query: QUERY });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError = '';
  const started = performance.now();
  const end = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const response = await pool.request({ path: '/graphql', method: 'POST', headers, body });
        const text = await response.body.text();
        if (response.statusCode !== 200 || text.includes('"errors"')) {
          errors++;
          firstError ||= `${response.statusCode} ${text.slice(0, 300)}`;
        }
      } catch (error) {
        errors++;
        firstError ||= String(error);
      }
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  if (firstError) console.log(`  first error: ${firstError}`);
  return { requests: latenciesMs.length, errors, seconds: elapsed, latenciesMs };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const baseEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('OTEL_')) baseEnv[key] = value;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-bench-telemetry-'));
  baseEnv.DATA_DIR = dataDir;
  if (process.env.DATABASE_URL) {
    baseEnv.DATABASE_NAME_PREFIX = 'bench_tel_';
    const targets = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, readDatabaseConfig(baseEnv, name)])) as unknown as SeedTargets;
    console.log('seeding MySQL databases bench_tel_* (small)…');
    await seed(targets, { scale: 'small' });
  }
  const sink = await startSink();
  const token = await signDevelopmentToken(readRouterConfig({}).auth, { userId: '1', ttlSeconds: 3600 });
  const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
  const modes: Mode[] = [
    { name: 'off', env: {} },
    { name: 'sampled 10 %', env: { ...exporting, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
    { name: 'sampled 100 %', env: { ...exporting, OTEL_TRACES_SAMPLER: 'parentbased_always_on' } },
  ];
  console.log(
    `closed loop: ${CONCURRENCY} concurrent clients, ${WARMUP_SECONDS} s warm-up then ${SECONDS} s measured per mode, ` +
      `${process.env.DATABASE_URL ? 'MySQL' : 'SQLite'}, Node ${process.version}, ${os.cpus().length} CPUs`,
  );
  const results = new Map<string, { throughput: number; p50: number; p95: number; p99: number; errors: number; exportedKiB: number }[]>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of modes) {
        const supergraph = await startSupergraph(baseEnv, mode.env);
        try {
          await closedLoop(supergraph.url, token, WARMUP_SECONDS, CONCURRENCY);
          const before = sink.bytes;
          const result = await closedLoop(supergraph.url, token, SECONDS, CONCURRENCY);
          // Let the last batch (OTEL_BSP_SCHEDULE_DELAY, 5 s by default) reach the sink before counting.
          if (mode.env.OTEL_EXPORTER_OTLP_ENDPOINT) await new Promise((resolve) => setTimeout(resolve, 5_500));
          const sorted = [...result.latenciesMs].sort((a, b) => a - b);
          const row = {
            throughput: result.requests / result.seconds,
            p50: percentile(sorted, 50),
            p95: percentile(sorted, 95),
            p99: percentile(sorted, 99),
            errors: result.errors,
            exportedKiB: (sink.bytes - before) / 1024,
          };
          results.set(mode.name, [...(results.get(mode.name) ?? []), row]);
          console.log(
            `round ${round} ${mode.name}: ${row.throughput.toFixed(0)} req/s, p95 ${row.p95.toFixed(1)} ms, ${row.errors} errors`,
          );
        } finally {
          await supergraph.stop();
        }
      }
    }
  } finally {
    await sink.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const baseline = median((results.get('off') ?? []).map((row) => row.throughput));
  const rows = modes.map((mode) => {
    const runs = results.get(mode.name) ?? [];
    const throughput = median(runs.map((row) => row.throughput));
    return [
      mode.name,
      throughput.toFixed(0),
      `${(((throughput - baseline) / baseline) * 100).toFixed(1)} %`,
      median(runs.map((row) => row.p50)).toFixed(1),
      median(runs.map((row) => row.p95)).toFixed(1),
      median(runs.map((row) => row.p99)).toFixed(1),
      String(runs.reduce((sum, row) => sum + row.errors, 0)),
      `${(runs.reduce((sum, row) => sum + row.exportedKiB, 0) / runs.length / SECONDS).toFixed(1)}`,
    ];
  });
  const header = ['mode (median of rounds)', 'req/s', 'vs off', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'exported KiB/s'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const format = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${format(header)}\n| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |\n${rows.map(format).join('\n')}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
