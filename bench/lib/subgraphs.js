/**
 * The subgraphs the routers call: the real three (production mode, each with a statement counter preloaded), or
 * the canned stand-in that answers from a recording. And the stock that checkout buys.
 */
const path = require('node:path');
const { BENCH_DIR, baseEnv, databaseEnv, PORTS, ROOT, SECRET, SUBGRAPHS, subgraphUrl, TMP } = require('./config');
const { getJson, getOk, post } = require('./http');
const { CHECKOUT_PRODUCTS, READER_USER } = require('./operations');
const proc = require('./proc');

/** Starts the three subgraphs one after the other; resolves with their process entries once each is ready. */
async function startSubgraphs(options) {
  const started = {};
  for (const name of SUBGRAPHS) {
    const env = baseEnv({
      ...databaseEnv(options),
      SUBGRAPH_SECRET: SECRET,
      INTERNAL_API_TOKEN: SECRET,
      ACCOUNT_PORT: String(PORTS.account),
      PRODUCT_PORT: String(PORTS.product),
      ORDER_PORT: String(PORTS.order),
      PRODUCT_INTERNAL_URL: `http://127.0.0.1:${PORTS.product}`,
      BENCH_SQL_COUNTER_PORT: String(PORTS.sqlCounter[name]),
      BENCH_PROJECT_ROOT: ROOT,
    });
    const entry = proc.start(
      name,
      [process.execPath, '-r', path.join(__dirname, 'countSql.js'), path.join(ROOT, 'dist', 'subgraphs', name, 'main.js')],
      { env, cwd: ROOT, cores: 'all', logFile: path.join(TMP, `${name}.log`) },
    );
    await proc.waitUntil(entry, 'health/ready', () => getOk(`http://127.0.0.1:${PORTS[name]}/health/ready`));
    started[name] = entry;
  }
  return started;
}

/** `routers/canned.js`, answering every subgraph request from the recordings in `cannedFile`; resolves once it answers. */
async function startCanned(cannedFile) {
  const canned = proc.start('canned', [process.execPath, path.join(BENCH_DIR, 'routers', 'canned.js')], {
    env: baseEnv({ BENCH_CANNED: cannedFile, BENCH_PORT: String(PORTS.canned) }),
    cwd: BENCH_DIR,
    cores: 'all',
    logFile: path.join(TMP, 'canned.log'),
  });
  await proc.waitUntil(canned, 'ready', () => getOk(`http://127.0.0.1:${PORTS.canned}/`));
  return canned;
}

/** SQL statements the three subgraphs have sent so far (their preloaded counters, `lib/countSql.js`). */
async function sqlStatements() {
  let total = 0;
  for (const name of SUBGRAPHS) {
    total += (await getJson(`http://127.0.0.1:${PORTS.sqlCounter[name]}/`)).statements;
  }
  return total;
}

/** Checkout needs stock: tops up the products it buys, through the product subgraph (any database). */
async function topUpCheckoutStock() {
  const headers = { 'x-router-credential': SECRET, 'x-user-id': READER_USER, 'x-user-scopes': 'catalog:write' };
  for (let first = 0; first < CHECKOUT_PRODUCTS.count; first += 64) {
    const ids = [];
    for (let i = first; i < Math.min(CHECKOUT_PRODUCTS.count, first + 64); i++) ids.push(CHECKOUT_PRODUCTS.first + i);
    const read = await post(
      subgraphUrl('product'),
      JSON.stringify({ query: `{ ${ids.map((id) => `p${id}: product(id: "${id}") { stock }`).join(' ')} }` }),
      headers,
    );
    const data = JSON.parse(read.text).data;
    const low = ids.filter((id) => (data[`p${id}`]?.stock ?? 0) < 500_000);
    if (low.length === 0) continue;
    const mutation = `mutation { ${low.map((id) => `a${id}: adjustStock(productId: "${id}", delta: 1000000) { stock }`).join(' ')} }`;
    const written = await post(subgraphUrl('product'), JSON.stringify({ query: mutation }), headers);
    if (written.status !== 200 || JSON.parse(written.text).errors)
      throw new Error(`could not top up checkout stock: ${written.text.slice(0, 300)}`);
  }
}

/**
 * The `after` cursors of the catalog's pages of 20 but the first (`pages - 1` of them): the cursor of its 20th,
 * 40th, … product, read from the product subgraph (this bench's, or `productUrl`) 100 products at a time.
 */
async function listingCursors(pages, productUrl = subgraphUrl('product')) {
  const headers = { 'x-router-credential': SECRET };
  const query =
    'query Pages($after: String) { products(first: 100, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }';
  const cursors = [];
  let after = null;
  while (cursors.length < pages - 1) {
    const response = await post(productUrl, JSON.stringify({ query, variables: { after } }), headers);
    const page = JSON.parse(response.text).data?.products;
    if (!page) throw new Error(`could not read the catalog's pages: ${response.text.slice(0, 300)}`);
    page.edges.forEach((edge, index) => {
      if ((index + 1) % 20 === 0) cursors.push(edge.cursor);
    });
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return cursors.slice(0, pages - 1);
}

module.exports = { startSubgraphs, startCanned, sqlStatements, topUpCheckoutStock, listingCursors };
