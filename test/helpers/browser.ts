import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page, type Request } from 'playwright-core';

/** Debian's chromium package: nothing may download a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go (git-ignored): one folder per test file. */
export const ARTIFACTS_DIR = path.resolve(__dirname, '..', '..', 'test-artifacts', 'browser');

export interface Browser {
  context: BrowserContext;
  /** Every request any page of this browser made, in order (URL, method, headers, what became of it). */
  requests: RecordedRequest[];
  /** A new page (tab) whose console errors and CSP violations are collected in `problems`. */
  newPage(): Promise<Page>;
  problems: string[];
  /** Saves a full-page PNG as `<dir>/<name>.png` and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  resourceType: string;
  /** The request body (POST), as sent. */
  body: string | null;
  /** `performance.now()` when the browser sent it. */
  at: number;
}

/**
 * Starts headless Chromium with a fresh profile (deleted on close) and records every request it makes. The
 * flags keep it from calling home (no component updates, sync, QUIC or background networking), so every
 * request recorded is one a page made.
 */
export async function launchBrowser(artifactsFolder: string): Promise<Browser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 900 },
  });
  const requests: RecordedRequest[] = [];
  const problems: string[] = [];
  const record = (request: Request) =>
    requests.push({
      url: request.url(),
      method: request.method(),
      headers: request.headers(),
      resourceType: request.resourceType(),
      body: request.postData(),
      at: performance.now(),
    });
  context.on('request', record);
  // A service worker would make requests of its own: none is expected.
  context.on('serviceworker', (worker) => problems.push(`unexpected service worker ${worker.url()}`));
  const dir = path.join(ARTIFACTS_DIR, artifactsFolder);
  fs.mkdirSync(dir, { recursive: true });
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  };
  for (const page of context.pages()) watch(page);
  context.on('page', watch);
  return {
    context,
    requests,
    problems,
    async newPage() {
      const page = await context.newPage();
      // A CSP violation is reported to the page as an event; collect it with the other problems.
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (event) => {
          console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + event.blockedURI);
        });`,
      });
      return page;
    },
    async screenshot(page, name) {
      const file = path.join(dir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: false });
      return file;
    },
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Whether a URL stays on this machine: loopback http(s)/ws, or a data:/blob: URL the page made itself. */
export function isLocal(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') return true;
  return ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
}
