import type { Page } from 'playwright-core';
import { type Browser, isLocal, launchBrowser } from '../helpers/browser';
import { insertCategory, insertProducts } from '../helpers/fixtures';
import { type Stack, startStack } from '../helpers/stack';

describe('the explorer in a real browser (headless Chromium)', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack('explorer');
    await insertCategory(stack.databases.product.dataSource, 1, 'Tools');
    await insertProducts(stack.databases.product.dataSource, [{ id: 1, name: 'Claw hammer', priceCents: 1999, stock: 7, categoryId: 1 }]);
    browser = await launchBrowser('explorer');
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('runs a query and shows its result and cost, with no request leaving this machine', async () => {
    await page.goto(stack.routerUrl);
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor();
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
    await browser.screenshot(page, '1-explorer-loaded');
    await run.click();
    const result = page.locator('.result-window');
    await result.getByText('requestedQueryCost').waitFor();
    // Monaco renders spaces as no-break spaces.
    const text = ((await result.textContent()) ?? '').replace(/\u00a0/g, ' ');
    expect(text).toContain('"products"');
    expect(text).toContain('"Claw hammer"');
    expect(text).toContain('"19.99"');
    expect(text).toContain('throttleStatus');
    await browser.screenshot(page, '2-explorer-result');
    const outside = browser.requests.filter((request) => !isLocal(request.url));
    expect(outside).toEqual([]);
    // The query went to the router with the prefilled client name.
    const graphql = browser.requests.filter((request) => request.url === stack.routerUrl && request.method === 'POST');
    expect(graphql.length).toBeGreaterThan(0);
    expect(graphql.at(-1)?.headers['apollographql-client-name']).toBe('explorer');
    expect(browser.problems).toEqual([]);
  });
});
