/**
 * Deterministic, realistic seed data for the three subgraph databases, at a chosen scale.
 *
 * Every record is derived from its own id through a seeded PRNG (`recordRandom`), never from `Date.now()`
 * or `Math.random()`, so the same scale always writes byte-identical rows, whatever the batch size, and a
 * batch can be generated on its own: memory stays bounded at every scale. Rows go in as multi-row
 * INSERTs with explicit ids (user 1 is always the demo customer), one transaction per batch.
 */
import type { DataSource, EntityManager, EntityTarget } from 'typeorm';
import { type DatabaseConfig, inTransaction, type OpenDataSourceOptions, openDataSource } from '../shared';
import { accountDatabase } from '../subgraphs/account/database';
import { Address } from '../subgraphs/account/entities/Address';
import { User } from '../subgraphs/account/entities/User';
import { orderDatabase } from '../subgraphs/order/database';
import { Order } from '../subgraphs/order/entities/Order';
import { OrderItem } from '../subgraphs/order/entities/OrderItem';
import { productDatabase } from '../subgraphs/product/database';
import { Category } from '../subgraphs/product/entities/Category';
import { Product, searchTextOf } from '../subgraphs/product/entities/Product';
import { StockReservation } from '../subgraphs/product/entities/StockReservation';

export type SeedScale = 'small' | 'large';

/** The database of each subgraph, as `readDatabaseConfig` returns it. */
export interface SeedTargets {
  account: DatabaseConfig;
  product: DatabaseConfig;
  order: DatabaseConfig;
}

/** Reported after every batch: `phase` is `users`, `categories`, `products` or `orders`. */
export interface SeedProgress {
  phase: string;
  done: number;
  total: number;
}

export interface SeedSummary {
  scale: SeedScale;
  users: number;
  categories: number;
  products: number;
  orders: number;
  orderItems: number;
  seconds: number;
}

/**
 * Rows per scale. `small` is the default (a second or so on SQLite); `large` is for benchmarks
 * (about 600,000 order items, minutes on MySQL). Orders have 1 to 5 items, 3 on average.
 */
export const SCALES: Record<SeedScale, { users: number; categories: number; products: number; orders: number }> = {
  small: { users: 50, categories: 8, products: 200, orders: 600 },
  large: { users: 10_000, categories: 24, products: 100_000, orders: 200_000 },
};

/** User 1, the account to demo with: the same name, email and orders at every scale. */
const DEMO_USER = { name: 'Demo Customer', email: 'demo@example.com' };
/** Orders of the demo customer, spread evenly over the order history (the newest order is theirs). */
const DEMO_ORDERS = 30;

/** Everything happens relative to this instant, so the data does not depend on when it was seeded. */
const SEED_EPOCH = Date.parse('2026-01-01T00:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;
/** Accounts and the catalog appear during the first month; orders follow over the rest of the year. */
const CATALOG_DAYS = 30;
const ORDER_DAYS = 335;

const ROWS_PER_BATCH = 1000;
/** Most rows in one INSERT; the variable limit below may lower it. */
const ROWS_PER_STATEMENT = 2000;
/** SQLite binds at most 32766 variables per statement (and MySQL 65535); stay well below both. */
const MAX_VARIABLES_PER_STATEMENT = 30_000;

const CURRENCY = 'USD';

/**
 * Fills the three databases with the data of `scale`, replacing whatever they held. Each database is
 * opened with its migrations applied (a MySQL database is created if missing) and closed at the end,
 * also on failure. Runs the phases one after the other and reports progress after every batch.
 */
export async function seed(
  targets: SeedTargets,
  options: { scale: SeedScale; onProgress?: (progress: SeedProgress) => void },
): Promise<SeedSummary> {
  const started = performance.now();
  const counts = SCALES[options.scale];
  if (!counts) throw new Error(`Unknown seed scale '${options.scale}': use ${Object.keys(SCALES).join(' or ')}`);
  const report = options.onProgress ?? (() => undefined);
  const opened: DataSource[] = [];
  const open = async (config: DatabaseConfig, database: OpenDataSourceOptions) => {
    const { dataSource } = await openDataSource(config, database);
    opened.push(dataSource);
    return dataSource;
  };
  try {
    // Open all three first, so that an unreachable database fails before anything is deleted.
    const account = await open(targets.account, accountDatabase);
    const product = await open(targets.product, productDatabase);
    const order = await open(targets.order, orderDatabase);

    // Children before parents, so that foreign keys never see an orphan.
    await clearTables(order, [OrderItem, Order]);
    await clearTables(product, [StockReservation, Product, Category]);
    await clearTables(account, [Address, User]);

    await seedRows(account, User, 'users', counts.users, report, (id) => userRow(id, counts.users));
    await seedAddresses(account, counts.users);
    await seedRows(product, Category, 'categories', counts.categories, report, categoryRow);
    await seedRows(product, Product, 'products', counts.products, report, (id) => productRow(id, counts));
    const orderItems = await seedOrders(order, counts, report);

    return {
      scale: options.scale,
      ...counts,
      orderItems,
      seconds: Math.round((performance.now() - started) / 10) / 100,
    };
  } finally {
    await Promise.allSettled(opened.map((dataSource) => dataSource.destroy()));
  }
}

/** True when the account database has no users: `npm start` seeds the embedded databases the first time. */
export async function isEmpty(target: DatabaseConfig): Promise<boolean> {
  const { dataSource } = await openDataSource(target, accountDatabase);
  try {
    return (await dataSource.getRepository(User).count()) === 0;
  } finally {
    await dataSource.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------
// Writing

type Row = Record<string, unknown>;

/**
 * Deletes every row of `entities` (children first) and resets their id counters, so that a re-seed
 * gives the same ids as the first seed and later inserts continue right above the seeded ids.
 */
async function clearTables(dataSource: DataSource, entities: EntityTarget<object>[]): Promise<void> {
  const tables = entities.map((entity) => dataSource.getMetadata(entity).tableName);
  const quoted = (table: string) => dataSource.driver.escape(table);
  if (dataSource.options.type === 'mysql') {
    // TRUNCATE is instant where DELETE of 600,000 rows takes a while, and it resets AUTO_INCREMENT;
    // MySQL refuses to truncate a table that a foreign key refers to unless the checks are off
    // for this connection, and they are back on before the connection returns to the pool.
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('SET FOREIGN_KEY_CHECKS = 0');
      try {
        for (const table of tables) await runner.query(`TRUNCATE TABLE ${quoted(table)}`);
      } finally {
        await runner.query('SET FOREIGN_KEY_CHECKS = 1');
      }
    } finally {
      await runner.release();
    }
    return;
  }
  await inTransaction(dataSource, async (manager) => {
    for (const table of tables) await manager.query(`DELETE FROM ${quoted(table)}`);
    // AUTOINCREMENT never reuses an id below its counter; forget it, and the seeded ids set it again.
    await manager.query(`DELETE FROM sqlite_sequence WHERE name IN (${tables.map(() => '?').join(', ')})`, tables);
  });
}

/** Inserts `rowOf(id)` for ids 1..total, one transaction per batch, reporting each batch. */
async function seedRows(
  dataSource: DataSource,
  entity: EntityTarget<object>,
  phase: string,
  total: number,
  report: (progress: SeedProgress) => void,
  rowOf: (id: number) => Row,
): Promise<void> {
  report({ phase, done: 0, total });
  for (let first = 1; first <= total; first += ROWS_PER_BATCH) {
    const last = Math.min(total, first + ROWS_PER_BATCH - 1);
    const rows: Row[] = [];
    for (let id = first; id <= last; id++) rows.push(rowOf(id));
    await inTransaction(dataSource, (manager) => insertRows(manager, entity, rows));
    report({ phase, done: last, total });
  }
}

/**
 * 0 to 2 addresses per user (the demo customer has two), with ids 2u-1 and 2u for user u, so that the same
 * scale always gives the same rows.
 */
async function seedAddresses(dataSource: DataSource, users: number): Promise<void> {
  for (let first = 1; first <= users; first += ROWS_PER_BATCH) {
    const rows: Row[] = [];
    for (let userId = first; userId <= Math.min(users, first + ROWS_PER_BATCH - 1); userId++) rows.push(...addressRows(userId));
    if (rows.length > 0) await inTransaction(dataSource, (manager) => insertRows(manager, Address, rows));
  }
}

const STREETS = ['Main St', 'Oak Ave', 'Elm St', 'Maple Rd', 'Cedar Ln', 'Park Ave', 'Lake View Dr', 'Hill St'];
const CITIES: readonly [string, string, string][] = [
  ['Springfield', '62701', 'US'],
  ['Berlin', '10115', 'DE'],
  ['Lyon', '69001', 'FR'],
  ['Osaka', '530-0001', 'JP'],
  ['Toronto', 'M5H 2N2', 'CA'],
  ['Melbourne', '3000', 'AU'],
];

function addressRows(userId: number): Row[] {
  const random = recordRandom(Stream.address, userId);
  const count = userId === 1 ? 2 : userId % 3;
  return Array.from({ length: count }, (_, n) => {
    const [city, postalCode, country] = random.pick(CITIES);
    return {
      id: 2 * userId - 1 + n,
      userId,
      label: n === 0 ? 'Home' : 'Work',
      line1: `${random.int(1, 999)} ${random.pick(STREETS)}`,
      line2: random.chance(0.3) ? `Apt ${random.int(1, 40)}` : '',
      city,
      postalCode,
      country,
    };
  });
}

/** Orders and their items, a batch of orders with all of its items in one transaction. Returns the item count. */
async function seedOrders(
  dataSource: DataSource,
  counts: (typeof SCALES)[SeedScale],
  report: (progress: SeedProgress) => void,
): Promise<number> {
  const total = counts.orders;
  report({ phase: 'orders', done: 0, total });
  let itemCount = 0;
  for (let first = 1; first <= total; first += ROWS_PER_BATCH) {
    const last = Math.min(total, first + ROWS_PER_BATCH - 1);
    const orders: Row[] = [];
    const items: Row[] = [];
    for (let id = first; id <= last; id++) {
      const order = orderWithItems(id, counts);
      for (const item of order.items) items.push({ id: ++itemCount, orderId: id, ...item });
      orders.push(order.row);
    }
    await inTransaction(dataSource, async (manager) => {
      await insertRows(manager, Order, orders);
      await insertRows(manager, OrderItem, items);
    });
    report({ phase: 'orders', done: last, total });
  }
  return itemCount;
}

/**
 * Multi-row INSERTs of `rows` (objects keyed by entity property), with table and column names from the
 * entity's metadata and values converted the way TypeORM converts them for this driver (dates, JSON).
 */
async function insertRows(manager: EntityManager, entity: EntityTarget<object>, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const properties = Object.keys(rows[0]);
  const columns = properties.map((property) => {
    const column = metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${metadata.name} has no column for property '${property}'`);
    return column;
  });
  const rowsPerStatement = Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_VARIABLES_PER_STATEMENT / columns.length));
  const head = `INSERT INTO ${driver.escape(metadata.tableName)} (${columns.map((column) => driver.escape(column.databaseName)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const chunk = rows.slice(start, start + rowsPerStatement);
    const parameters: unknown[] = [];
    for (const row of chunk) {
      for (let index = 0; index < columns.length; index++) {
        parameters.push(driver.preparePersistentValue(row[properties[index]], columns[index]));
      }
    }
    await manager.query(head + chunk.map(() => tuple).join(', '), parameters);
  }
}

// ---------------------------------------------------------------------------------------------------
// Generating: each record from its own id

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Salts, so that user 7 and product 7 do not draw the same numbers. */
const Stream = { user: 0x75736572, product: 0x70726f64, price: 0x70726963, order: 0x6f726465, address: 0x61646472 } as const;
type Stream = (typeof Stream)[keyof typeof Stream];

/** The PRNG of one record: a murmur3-style mix of stream and id, so neighbours are uncorrelated. */
function recordRandom(stream: Stream, id: number): Random {
  let h = Math.imul(stream ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(id, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return new Random(mulberry32(h ^ (h >>> 16)));
}

class Random {
  constructor(readonly next: () => number) {}

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** Spreads ids 1..total evenly over `days` from `startMs`, increasing with id (a random offset within each slot). */
function timeOf(id: number, total: number, startMs: number, days: number, random: Random): Date {
  const slot = (days * DAY_MS) / total;
  return new Date(startMs + Math.floor((id - 1) * slot + random.next() * slot * 0.9));
}

const FIRST_NAMES = [
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Amelia',
  'Oliver',
  'Sophia',
  'Elijah',
  'Mia',
  'Lucas',
  'Isabella',
  'Mateo',
  'Ava',
  'Levi',
  'Chloé',
  'Ethan',
  'Zoë',
  'José',
  'Aisha',
  'Hiroshi',
  'Priya',
  'Wei',
  'Fatima',
  'Lars',
  'Ingrid',
  'Kwame',
  'Amara',
  'Diego',
  'Lucía',
  'Mohammed',
  'Yuki',
  'Sven',
  'Nadia',
  'Omar',
  'Elena',
  'Tomás',
  'Grace',
  'Henry',
  'Maya',
  'Samuel',
];
const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Garcia',
  'Müller',
  'Nguyen',
  'Kim',
  'Patel',
  'Rossi',
  'Silva',
  'Kowalski',
  'Andersson',
  'Okafor',
  'Tanaka',
  'Dubois',
  'Hernández',
  'Chen',
  'Ivanova',
  'Cohen',
  "O'Brien",
  'Novak',
  'Jensen',
  'Mensah',
  'Yamamoto',
  'Fischer',
  'López',
  'Brown',
  'Wilson',
  'Martin',
  'Haddad',
  'Singh',
];

/** `José O'Brien` → `jose.obrien`: what a mailbox name can hold. */
function mailboxOf(first: string, last: string): string {
  const ascii = (text: string) =>
    text
      .normalize('NFD')
      .replace(/[^A-Za-z]/g, '')
      .toLowerCase();
  return `${ascii(first)}.${ascii(last)}`;
}

function userRow(id: number, users: number): Row {
  const random = recordRandom(Stream.user, id);
  const createdAt = timeOf(id, users, SEED_EPOCH, CATALOG_DAYS, random);
  if (id === 1) return { id, ...DEMO_USER, createdAt };
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  // The id keeps every address unique however the names repeat.
  return { id, email: `${mailboxOf(first, last)}${id}@example.com`, name: `${first} ${last}`, createdAt };
}

/** Category names, each with what its products are called; a scale takes the first `categories`. */
const CATEGORIES: readonly { name: string; items: readonly string[] }[] = [
  { name: 'Electronics', items: ['Wireless Headphones', 'Bluetooth Speaker', 'Power Bank', 'USB-C Charger', 'Smartwatch', 'E-Reader'] },
  { name: 'Home & Kitchen', items: ["Chef's Knife", 'Cutting Board', 'French Press', 'Dutch Oven', 'Mixing Bowl Set', 'Tea Kettle'] },
  { name: 'Sports & Outdoors', items: ['Yoga Mat', 'Water Bottle', 'Running Belt', 'Resistance Bands', 'Trekking Poles', 'Jump Rope'] },
  { name: 'Clothing', items: ['Crewneck Sweater', 'Rain Jacket', 'Denim Jacket', 'Linen Shirt', 'Wool Socks', 'Hoodie'] },
  { name: 'Office Products', items: ['Notebook', 'Desk Organizer', 'Fountain Pen', 'Monitor Stand', 'Desk Lamp', 'Planner'] },
  { name: 'Toys & Games', items: ['Puzzle', 'Board Game', 'Building Blocks', 'Plush Bear', 'Card Game', 'Kite'] },
  { name: 'Beauty & Personal Care', items: ['Face Cream', 'Shampoo', 'Hair Dryer', 'Lip Balm', 'Electric Toothbrush', 'Sunscreen'] },
  { name: 'Garden & Outdoor', items: ['Garden Hose', 'Pruning Shears', 'Planter', 'Bird Feeder', 'Watering Can', 'String Lights'] },
  {
    name: 'Computers & Accessories',
    items: ['Mechanical Keyboard', 'Wireless Mouse', 'USB Hub', 'Laptop Sleeve', 'Webcam', 'External SSD'],
  },
  { name: 'Furniture', items: ['Bookshelf', 'Side Table', 'Office Chair', 'Floor Lamp', 'Bar Stool', 'Shoe Rack'] },
  { name: 'Pet Supplies', items: ['Dog Leash', 'Cat Tree', 'Pet Bed', 'Chew Toy', 'Food Bowl', 'Litter Mat'] },
  { name: 'Tools & Home Improvement', items: ['Cordless Drill', 'Tape Measure', 'Screwdriver Set', 'Work Gloves', 'Stud Finder', 'Level'] },
  { name: 'Automotive', items: ['Dash Cam', 'Tire Inflator', 'Car Vacuum', 'Phone Mount', 'Jump Starter', 'Seat Cover'] },
  { name: 'Baby', items: ['Baby Carrier', 'Swaddle Blanket', 'Bottle Set', 'Play Mat', 'Teether', 'Diaper Bag'] },
  { name: 'Grocery', items: ['Ground Coffee', 'Green Tea', 'Olive Oil', 'Dark Chocolate', 'Granola', 'Hot Sauce'] },
  { name: 'Musical Instruments', items: ['Ukulele', 'Guitar Strings', 'Digital Tuner', 'Harmonica', 'Drumsticks', 'Capo'] },
  { name: 'Arts & Crafts', items: ['Sketchbook', 'Watercolor Set', 'Brush Set', 'Knitting Yarn', 'Glue Gun', 'Colored Pencils'] },
  { name: 'Luggage & Travel', items: ['Carry-On Suitcase', 'Packing Cubes', 'Travel Pillow', 'Backpack', 'Luggage Tag', 'Toiletry Bag'] },
  { name: 'Camping & Hiking', items: ['Tent', 'Sleeping Bag', 'Headlamp', 'Camp Stove', 'Hammock', 'Trail Mix'] },
  {
    name: 'Health & Household',
    items: ['Digital Thermometer', 'First Aid Kit', 'Laundry Detergent', 'Air Purifier', 'Scale', 'Humidifier'],
  },
  { name: 'Jewelry & Watches', items: ['Analog Watch', 'Silver Necklace', 'Stud Earrings', 'Leather Bracelet', 'Ring', 'Cufflinks'] },
  { name: 'Shoes', items: ['Running Shoes', 'Hiking Boots', 'Sneakers', 'Sandals', 'Slippers', 'Loafers'] },
  { name: 'Video Games', items: ['Game Controller', 'Gaming Headset', 'Charging Dock', 'Racing Wheel', 'Memory Card', 'Console Stand'] },
  { name: 'Cycling', items: ['Bike Helmet', 'Bike Light', 'Bike Lock', 'Cycling Gloves', 'Saddle Bag', 'Mini Pump'] },
];

/** `Home & Kitchen` → `home-and-kitchen`. */
function slugOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function categoryRow(id: number): Row {
  const category = CATEGORIES[id - 1];
  if (!category) throw new Error(`There are only ${CATEGORIES.length} seed categories, asked for category ${id}`);
  return { id, name: category.name, slug: slugOf(category.name) };
}

const BRANDS = [
  'Northwind',
  'Acme',
  'Bluebird',
  'Cedar & Co',
  'Everyday',
  'Fjord',
  'Greenleaf',
  'Harbor',
  'Ironwood',
  'Juniper',
  'Kestrel',
  'Lumen',
  'Maple',
  'Nimbus',
  'Oakline',
  'Pioneer',
  'Quill',
  'Redwood',
  'Summit',
  'Tundra',
];
const MODELS = ['Classic', 'Pro', 'Compact', 'Deluxe', 'Eco', 'Ultra', 'Lite', 'Travel', 'Premium', 'Essential', 'Max', 'Mini'];
const FINISHES = [
  'matte black',
  'brushed steel',
  'natural oak',
  'recycled plastic',
  'sage green',
  'sand',
  'navy',
  'walnut',
  'slate grey',
  'terracotta',
];
const SELLING_POINTS = [
  'Designed for everyday use and built to last.',
  'Backed by a two-year warranty.',
  'Ships in plastic-free, recyclable packaging.',
  'A customer favourite for gifting.',
  'Tested by our team for months before launch.',
  'Easy to clean and simple to store.',
  'Lightweight enough to take anywhere.',
  'Made in a certified fair-trade facility.',
  'Comes with a 30-day no-questions-asked return.',
  'Thoughtful details you notice from the first day.',
];

/** Prices log-uniform from $1.99 to $999.99, always ending in .99: most things are cheap, a few are not. */
function priceCentsOf(productId: number): number {
  const random = recordRandom(Stream.price, productId);
  const dollars = Math.floor(1000 ** random.next());
  return dollars * 100 + 99;
}

function productRow(id: number, counts: (typeof SCALES)[SeedScale]): Row {
  const random = recordRandom(Stream.product, id);
  const categoryId = random.int(1, counts.categories);
  const category = CATEGORIES[categoryId - 1];
  const noun = random.pick(category.items);
  const name = `${random.pick(BRANDS)} ${random.pick(MODELS)} ${noun}`;
  const sku = `SKU-${String(id).padStart(6, '0')}`;
  const first = random.int(0, SELLING_POINTS.length - 1);
  const second = (first + random.int(1, SELLING_POINTS.length - 1)) % SELLING_POINTS.length;
  const description = `${noun} in ${random.pick(FINISHES)}, from our ${category.name.toLowerCase()} range. ${SELLING_POINTS[first]} ${SELLING_POINTS[second]}`;
  return {
    id,
    sku,
    name,
    description,
    priceCents: priceCentsOf(id),
    currency: CURRENCY,
    // About one product in twelve is sold out.
    stock: random.chance(0.08) ? 0 : random.int(1, 500),
    categoryId,
    searchText: searchTextOf({ name, sku }),
    createdAt: timeOf(id, counts.products, SEED_EPOCH, CATALOG_DAYS, random),
  };
}

/** Every other customer is a random one of these, skewed towards early (loyal) accounts. */
function customerOf(random: Random, users: number): number {
  if (users < 2) return 1;
  for (;;) {
    const candidate = 2 + Math.floor(random.next() ** 1.25 * (users - 1));
    // Every seventh account never ordered, so that some users have no orders at all.
    if (candidate % 7 !== 0 || users < 8) return candidate;
  }
}

/**
 * A step through 1..n that visits every id once: multiplying by a prime that does not divide n
 * scatters the popular picks (small ranks) across the catalog instead of piling them on ids 1, 2, 3.
 */
function scatter(rank: number, n: number): number {
  const stride = n % 7919 === 0 ? 7907 : 7919;
  return ((rank * stride) % n) + 1;
}

function orderWithItems(id: number, counts: (typeof SCALES)[SeedScale]): { row: Row; items: Row[] } {
  const random = recordRandom(Stream.order, id);
  const demoStep = Math.max(1, Math.floor(counts.orders / DEMO_ORDERS));
  const userId = id % demoStep === 0 && id / demoStep <= DEMO_ORDERS ? 1 : customerOf(random, counts.users);
  const lines = Math.min(random.int(1, 5), counts.products);
  const productIds = new Set<number>();
  while (productIds.size < lines) productIds.add(scatter(Math.floor(random.next() ** 2 * counts.products), counts.products));
  const items: Row[] = [];
  let totalCents = 0;
  for (const productId of productIds) {
    // Mostly one of a thing, sometimes a few.
    const quantity = random.chance(0.7) ? 1 : random.int(2, 4);
    const unitPriceCents = priceCentsOf(productId);
    totalCents += unitPriceCents * quantity;
    items.push({ productId, quantity, unitPriceCents, currency: CURRENCY });
  }
  const orderStart = SEED_EPOCH + CATALOG_DAYS * DAY_MS;
  return {
    row: {
      id,
      userId,
      status: 'PLACED',
      totalCents,
      currency: CURRENCY,
      reservationKey: `seed-${id}`,
      createdAt: timeOf(id, counts.orders, orderStart, ORDER_DAYS, random),
    },
    items,
  };
}
