/**
 * The bound of `npm run bench -- --cache`: what an ideal cache would hit on the bench's sequence. A plain module
 * (no bench package), tested in test/unit/benchTools.test.ts.
 */

/** The TTL of both reads' entries: each selects `stock`/`inStock`, whose hint (10 s) is the minimum over the selection. */
const READ_TTL_SECONDS = 10;

/**
 * The hit ratio of an ideal cache on `requests` replayed at `rate` for `seconds` from `start`, beginning empty: a read
 * is a hit when its entry was filled less than READ_TTL_SECONDS before and its product (its page's products) not
 * written since; fills are instant, nothing is evicted, a write drops only the entries holding its product (as the
 * in-place declarations do). Under those rules (fill on a miss, the reads' fixed TTL) no cache does better on the
 * same sequence at the same rate: the bound of the run, for caches that keep to the subgraphs' hints.
 */
function idealHitRatio(requests, { rate, seconds, start = 0, ttlSeconds = READ_TTL_SECONDS }) {
  const filled = new Map();
  const productWritten = new Map();
  const pageWritten = new Map();
  let hits = 0;
  let reads = 0;
  const count = Math.round(rate * seconds);
  for (let k = 0; k < count; k++) {
    const r = requests[(start + k) % requests.length];
    const t = k / rate;
    if (r.kind === 'updatePrice' || r.kind === 'placeOrder') {
      productWritten.set(r.product, t);
      // Catalog order is by id and the seed's ids are 1..n: the product's page of 20.
      pageWritten.set(Math.ceil(Number(r.product) / 20), t);
      continue;
    }
    reads += 1;
    const key = r.kind === 'productDetail' ? `product ${r.product}` : `page ${r.page}`;
    const at = filled.get(key);
    const lastWrite = (r.kind === 'productDetail' ? productWritten.get(r.product) : pageWritten.get(r.page)) ?? -Infinity;
    if (at !== undefined && t - at < ttlSeconds && lastWrite < at) hits += 1;
    else filled.set(key, t);
  }
  return reads ? hits / reads : null;
}

module.exports = { idealHitRatio, READ_TTL_SECONDS };
