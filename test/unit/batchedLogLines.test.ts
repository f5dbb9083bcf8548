import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchedLines } from '../../shared/logger';

/**
 * JSON log lines go to stdout in batches (issue 18): every line arrives, in order, after at most the batch delay,
 * at once when 8 KB wait, and everything that waits is written when the process exits, however it exits.
 */
describe('batched log lines', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batched-lines-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function until(check: () => boolean, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  it('writes waiting lines after the delay, all of them and in order', async () => {
    const file = path.join(dir, 'delay.log');
    const fd = fs.openSync(file, 'w');
    try {
      const lines = new BatchedLines(fd, 30);
      for (let i = 0; i < 5; i++) lines.write(`{"n":${i}}\n`);
      // Nothing is written at once: the lines wait for the batch.
      expect(fs.readFileSync(file, 'utf8')).toBe('');
      await until(() => fs.readFileSync(file, 'utf8').split('\n').length > 5);
      expect(fs.readFileSync(file, 'utf8')).toBe('{"n":0}\n{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('writes as soon as 8 KB wait, without waiting for the delay', async () => {
    const file = path.join(dir, 'size.log');
    const fd = fs.openSync(file, 'w');
    try {
      // A delay no test reaches: only the size can make this batch go.
      const lines = new BatchedLines(fd, 600_000);
      const line = `{"pad":"${'x'.repeat(200)}"}\n`;
      const count = Math.ceil((8 * 1024) / line.length);
      for (let i = 0; i < count; i++) lines.write(line);
      await until(() => fs.statSync(file).size >= count * line.length);
      expect(fs.readFileSync(file, 'utf8')).toBe(line.repeat(count));
      lines.write('{"last":true}\n');
      lines.flush();
      await until(() => fs.readFileSync(file, 'utf8').endsWith('{"last":true}\n'));
      expect(fs.readFileSync(file, 'utf8')).toBe(`${line.repeat(count)}{"last":true}\n`);
    } finally {
      fs.closeSync(fd);
    }
  });

  /** A process that logs `count` lines through the router's logger and then ends as `end` says. */
  function run(end: string, count: number): Promise<{ code: number | null; stdout: string }> {
    const logger = path.join(__dirname, '..', '..', 'dist', 'shared', 'logger.js');
    const script = `const log = require(${JSON.stringify(logger)}).createLogger('t', 'info', 'json');
      for (let i = 0; i < ${count}; i++) log.info({ i }, 'line');
      ${end}`;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
  }

  /**
   * A process whose stdout is a pipe nobody reads until the process says on stderr that `phase` is done: it logs
   * 1 KB lines from a 2 ms interval (`ticks`) or all at once (`burst`), reports how many, then exits once the
   * pipe has taken everything.
   */
  function fullPipe(
    mode: 'ticks' | 'burst',
  ): Promise<{ code: number | null; report: Record<string, number>; lines: Record<string, unknown>[] }> {
    const logger = path.join(__dirname, '..', '..', 'dist', 'shared', 'logger.js');
    const script = `const log = require(${JSON.stringify(logger)}).createLogger('t', 'info', 'json');
      const pad = 'x'.repeat(1000);
      let logged = 0;
      const report = (extra) => process.stderr.write(JSON.stringify({ logged, ...extra }) + '\\n');
      if (${JSON.stringify(mode)} === 'burst') {
        for (let i = 0; i < 10000; i++) log.info({ i: logged++, pad }, 'line');
        report({});
      } else {
        const started = Date.now();
        const tick = setInterval(() => log.info({ i: logged++, pad }, 'line'), 2);
        setTimeout(() => { clearInterval(tick); report({ ms: Date.now() - started }); }, 1000);
      }
      process.stdin.on('data', () => setTimeout(() => { log.info({ i: logged++ }, 'last'); setTimeout(() => process.exit(0), 100); }, 300));`;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdout.pause();
      let stdout = '';
      let report: Record<string, number> = {};
      child.stderr.on('data', (chunk) => {
        report = JSON.parse(String(chunk));
        // Now the pipe is read, and the process told to finish.
        child.stdout.on('data', (data) => {
          stdout += data;
        });
        child.stdout.resume();
        child.stdin.write('go\n');
      });
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({
          code,
          report,
          lines: stdout
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line)),
        }),
      );
    });
  }

  it('keeps the event loop running while stdout is a full pipe, and writes every line once it is read', async () => {
    const { code, report, lines } = await fullPipe('ticks');
    expect(code).toBe(0);
    // 1 KB lines every 2 ms for a second fill a pipe nobody reads many times over; a logger that blocked until the
    // pipe was read would have stopped the interval at the first full pipe (64 KB: about 64 lines).
    expect(report.logged).toBeGreaterThan(200);
    const numbers = lines.map((line) => line.i);
    expect(numbers).toEqual(Array.from({ length: report.logged + 1 }, (_, i) => i));
  });

  it('drops lines past 8 MB waiting for a full pipe, and says how many when the pipe takes lines again', async () => {
    const { code, report, lines } = await fullPipe('burst');
    expect(code).toBe(0);
    expect(report.logged).toBe(10000);
    const notice = lines.filter((line) => line.msg === 'log lines dropped: stdout took nothing while 8 MB waited');
    expect(notice).toHaveLength(1);
    const kept = lines.filter((line) => line.msg === 'line').map((line) => line.i as number);
    // What was kept is the first lines, in order; the notice counts the rest, then the last line follows.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i));
    expect(kept.length).toBeGreaterThan(7000);
    expect(kept.length + (notice[0].dropped as number)).toBe(10000);
    expect(lines.at(-1)).toMatchObject({ msg: 'last', i: 10000 });
    expect(lines.indexOf(notice[0])).toBe(lines.length - 2);
  });

  it.each([
    ['process.exit(0) right after the lines', 'process.exit(0);', 0],
    ['an exception nobody catches', 'setImmediate(() => { throw new Error("boom"); });', 1],
    ['the event loop running out', '', 0],
    ['process.exit(3) inside a timer', 'setTimeout(() => process.exit(3), 1);', 3],
  ])('writes every line when the process ends with %s', async (_name, end, code) => {
    const count = 500;
    const result = await run(end, count);
    expect(result.code).toBe(code);
    const numbers = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { i: number }).i);
    expect(numbers).toEqual(Array.from({ length: count }, (_, i) => i));
  });
});
