import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runToExit } from '../helpers/processes';

/** The router process in production with a broken API_KEYS_FILE: it must not start, and say why in one line. */
describe('the router with a bad API_KEYS_FILE in production', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-keys-process-'));
  const key = `sk_live_${randomBytes(12).toString('hex')}`;

  const start = (keysFile: string) =>
    runToExit(['router', 'main.js'], {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      DATA_DIR: dir,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ROUTER_PORT: '0',
      ROUTER_ADMIN_PORT: '0',
      API_KEYS_FILE: keysFile,
    });

  it.each([
    ['the key where its SHA-256 belongs', JSON.stringify([{ name: 'storefront', sha256: key }]), 'entry 1: sha256 must be'],
    ['the key where the name belongs', JSON.stringify([{ name: key, sha256: key }]), 'entry 1: sha256 must be'],
    ['a file that is not JSON', `storefront ${key}\n`, 'API_KEYS_FILE is not valid JSON'],
  ])('exits 1 on %s, with one configuration error line that never shows the key', async (_label, text, says) => {
    const file = path.join(dir, `${randomBytes(4).toString('hex')}.json`);
    fs.writeFileSync(file, text);
    const { code, output } = await start(file);
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('configuration error');
    expect(lines[0]).toContain(says);
    expect(output).not.toContain(key);
  });
});
