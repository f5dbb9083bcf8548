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
/** Distinct checkout bodies, rotated over the requests: two lines each. */
const CHECKOUT_BODIES = 128;

const PRODUCT_LIST = `query ProductList($first: Int!) {
  products(first: $first) {
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

function checkoutBodies() {
  const bodies = [];
  for (let i = 0; i < CHECKOUT_BODIES; i++) {
    const a = CHECKOUT_PRODUCTS.first + ((2 * i) % CHECKOUT_PRODUCTS.count);
    const b = CHECKOUT_PRODUCTS.first + ((2 * i + 1) % CHECKOUT_PRODUCTS.count);
    bodies.push(
      body(PLACE_ORDER, 'PlaceOrder', {
        input: {
          items: [
            { productId: String(a), quantity: 1 },
            { productId: String(b), quantity: 2 },
          ],
        },
      }),
    );
  }
  return bodies;
}

/**
 * `user`: who is signed in (null: anonymous). `compare`: how a response is checked against the reference:
 * `data` (the same data, byte for byte once parsed) or `shape` (the same fields and types: every checkout
 * creates a new order, so ids and times differ).
 */
const OPERATIONS = [
  {
    name: 'productList',
    title: 'product listing (20)',
    kind: 'read',
    user: null,
    bodies: [body(PRODUCT_LIST, 'ProductList', { first: 20 })],
    compare: 'data',
  },
  {
    name: 'productDetail',
    title: 'product detail',
    kind: 'read',
    user: null,
    bodies: [body(PRODUCT_DETAIL, 'ProductDetail', { id: '4242' })],
    compare: 'data',
  },
  {
    name: 'myOrders',
    title: 'my orders (20, 3 subgraphs)',
    kind: 'read',
    user: READER_USER,
    bodies: [body(MY_ORDERS, 'MyOrders', { first: 20 })],
    compare: 'data',
  },
  {
    name: 'checkout',
    title: 'checkout (placeOrder)',
    kind: 'write',
    user: BUYER_USER,
    bodies: checkoutBodies(),
    compare: 'shape',
  },
];

/**
 * The fields and value types of a JSON value. Arrays keep their length, or with `firstItemOnly` are reduced to
 * their first item (the schema of responses to other requests, whose lists differ in length).
 */
function shapeOf(value, firstItemOnly = false) {
  if (Array.isArray(value)) {
    if (!firstItemOnly) return value.map((item) => shapeOf(item));
    return value.length > 0 ? [shapeOf(value[0], true)] : [];
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, shapeOf(value[key], firstItemOnly)]),
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
  if (compare === 'schema') return JSON.stringify(shapeOf(parsed.data, true));
  return JSON.stringify(compare === 'shape' ? shapeOf(parsed.data) : parsed.data);
}

/**
 * `--distinct`: reads as many clients send them instead of one request repeated. Product detail rotates over
 * 256 products, "my orders" over 64 signed-in users, so a router cannot answer concurrent requests from one shared
 * subgraph call (in-flight deduplication meets real traffic, not its best case). Responses then differ by
 * request: they are compared by shape. Not with `--canned`, whose recordings hold one request per operation.
 */
function distinctVariants(op, users) {
  if (op.name === 'productDetail') {
    const bodies = Array.from({ length: 256 }, (_, i) => body(PRODUCT_DETAIL, 'ProductDetail', { id: String(4242 + i * 37) }));
    return { ...op, bodies, compare: 'schema' };
  }
  if (op.name === 'myOrders') {
    // The reader first (the reference response is its), then users with at least 20 orders.
    return { ...op, users: [READER_USER, ...users.filter((user) => user !== READER_USER)], compare: 'schema' };
  }
  return op;
}

module.exports = { OPERATIONS, READER_USER, BUYER_USER, CHECKOUT_PRODUCTS, normalise, distinctVariants };
