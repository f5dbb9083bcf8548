/**
 * The operations the bench drives, as a web or mobile client sends them: named, with variables. Reads are
 * measured round after round; checkout writes (an order per request) and runs in a phase of its own.
 */

/**
 * The seeded user whose 20 latest orders have the most lines (82, of 36 orders; the seed is deterministic), so that
 * "my orders" is as large as the seed allows (about 41 KB); user 1, the demo customer, has 60 lines (31 KB).
 */
const READER_USER = '325';
/** Checkout orders go to another user, so that the demo customer's orders (and so "my orders") never change. */
const BUYER_USER = '10000';
/** Products checkout buys from (stock topped up before the phase); far from the ones the reads show. */
const CHECKOUT_PRODUCTS = { first: 90_001, count: 256 };
/** Checkout bodies of the identical-request bench, rotated over the requests: two lines each. */
const CHECKOUT_BODIES = 128;
/**
 * How many distinct requests `--distinct` rotates over, per operation, so that no request repeats within a second:
 * more than the fastest router answers in a second (the floor aside: it keeps nothing between requests, so a
 * repeat costs it what a new request does). Canned, the router alone sets the pace; on MySQL the subgraphs and
 * the database do ("my orders" of 200 users, the end-to-end figure). `lib/measure.js` counts every request that
 * repeats a variant within a second, and a router's run with one does not count: raise these if that happens.
 * Listing pages walk the catalog from its start, 20 products a page.
 */
const DISTINCT_VARIANTS = {
  mysql: { productList: 1_000, productDetail: 2_000, myOrders: 200, checkout: 1_000 },
  canned: { productList: 3_000, productDetail: 5_000, myOrders: 1_000, checkout: 3_000 },
};

const PRODUCT_LIST = `query ProductList($first: Int!, $after: String) {
  products(first: $first, after: $after) {
    edges {
      cursor
      node { id sku name price { amount currency } inStock category { id name } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const PRODUCT_DETAIL = `query ProductDetail($id: ID!) {
  product(id: $id) {
    id sku name description
    price { amount currency }
    stock inStock
    category { id name }
  }
}`;

const MY_ORDERS = `query MyOrders($first: Int!) {
  me {
    id name email
    orders(first: $first) {
      edges {
        cursor
        node {
          id status createdAt
          total { amount currency }
          items {
            id quantity
            unitPrice { amount currency }
            lineTotal { amount currency }
            product {
              id sku name description
              price { amount currency }
              inStock
              category { id name }
            }
          }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

const PLACE_ORDER = `mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    id status createdAt
    total { amount currency }
    items { quantity unitPrice { amount currency } lineTotal { amount currency } product { id name } }
  }
}`;

const body = (query, operationName, variables) => JSON.stringify({ query, operationName, variables });

/**
 * `count` distinct checkout bodies of two lines: the first 128 buy each pair of the 256 products once (1 and 2
 * units); the next ones the same pairs in other quantities (distinct up to 3,200 bodies).
 */
function checkoutBodies(count) {
  const pairs = CHECKOUT_PRODUCTS.count / 2;
  const bodies = [];
  for (let i = 0; i < count; i++) {
    const pair = i % pairs;
    const round = Math.floor(i / pairs);
    bodies.push(
      body(PLACE_ORDER, 'PlaceOrder', {
        input: {
          items: [
            { productId: String(CHECKOUT_PRODUCTS.first + 2 * pair), quantity: 1 + (round % 5) },
            { productId: String(CHECKOUT_PRODUCTS.first + 2 * pair + 1), quantity: 2 + (Math.floor(round / 5) % 5) },
          ],
        },
      }),
    );
  }
  return bodies;
}

/**
 * The operations. `variants(options, inputs)` lists the requests a run rotates over, each `{ body, user }` (`user`:
 * who is signed in, null for anonymous): one per read without `--distinct` (every connection sends the same request:
 * deduplication's best case), many with it (`DISTINCT_VARIANTS`). `inputs` holds what only the data can tell:
 * `users` (with at least 20 orders) and `listingCursors` (the `after` of each catalog page but the first).
 * `compare`: how a response is checked against the stock gateway's answer to the same request: `data` (the
 * same data, byte for byte once parsed) or `shape` (the same fields and types: every checkout creates a new
 * order, so ids and times differ).
 */
const OPERATIONS = [
  {
    name: 'productList',
    title: 'product listing (20)',
    kind: 'read',
    compare: 'data',
    variants: (options, { listingCursors }) => {
      const first = { body: body(PRODUCT_LIST, 'ProductList', { first: 20 }), user: null };
      if (!options.distinct) return [first];
      const pages = listingCursors.slice(0, distinctCount(options, 'productList') - 1);
      return [first, ...pages.map((after) => ({ body: body(PRODUCT_LIST, 'ProductList', { first: 20, after }), user: null }))];
    },
  },
  {
    name: 'productDetail',
    title: 'product detail',
    kind: 'read',
    compare: 'data',
    variants: (options) => {
      // Product 4242, then others spread over the catalog, all below the ones checkout buys (their stock changes).
      const count = options.distinct ? distinctCount(options, 'productDetail') : 1;
      const span = CHECKOUT_PRODUCTS.first - 1_001;
      return Array.from({ length: count }, (_, i) => ({
        body: body(PRODUCT_DETAIL, 'ProductDetail', { id: String(1 + ((4_241 + i * 19) % span)) }),
        user: null,
      }));
    },
  },
  {
    name: 'myOrders',
    title: 'my orders (20, 3 subgraphs)',
    kind: 'read',
    compare: 'data',
    variants: (options, { users }) => {
      // The reader first (its answer is the one the counting pass measures), then users with at least 20 orders.
      const readers = options.distinct ? [READER_USER, ...users.filter((user) => user !== READER_USER)] : [READER_USER];
      const count = options.distinct ? distinctCount(options, 'myOrders') : 1;
      return readers.slice(0, count).map((user) => ({ body: body(MY_ORDERS, 'MyOrders', { first: 20 }), user }));
    },
  },
  {
    name: 'checkout',
    title: 'checkout (placeOrder)',
    kind: 'write',
    compare: 'shape',
    variants: (options) =>
      checkoutBodies(options.distinct ? distinctCount(options, 'checkout') : CHECKOUT_BODIES).map((text) => ({
        body: text,
        user: BUYER_USER,
      })),
  },
];

/** How many variants `--distinct` asks of `operation` in this run's mode (canned or MySQL/SQLite). */
function distinctCount(options, operation) {
  return DISTINCT_VARIANTS[options.canned ? 'canned' : 'mysql'][operation];
}

/** What a variant-producing operation needs from the data, before its variants can be listed. */
function needsOf(operations, options) {
  const names = new Set(operations.map((op) => op.name));
  return {
    users: options.distinct && names.has('myOrders') ? distinctCount(options, 'myOrders') : 0,
    listingPages: options.distinct && names.has('productList') ? distinctCount(options, 'productList') : 0,
  };
}

/**
 * The fields and value types of a JSON value (arrays keep their length): what `shape` compares.
 */
function shapeOf(value) {
  if (Array.isArray(value)) return value.map((item) => shapeOf(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, shapeOf(value[key])]),
    );
  }
  return value === null ? 'null' : typeof value;
}

/**
 * What is compared of a response: its `data` (or the data's shape), never `extensions` (routers add
 * different ones). A response with `errors`, or without data, normalises to null: it never matches.
 */
function normalise(text, compare) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!parsed || parsed.errors || !parsed.data) return null;
  return JSON.stringify(compare === 'shape' ? shapeOf(parsed.data) : parsed.data);
}

module.exports = { OPERATIONS, DISTINCT_VARIANTS, READER_USER, BUYER_USER, CHECKOUT_PRODUCTS, needsOf, normalise };
