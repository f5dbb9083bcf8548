/**
 * The seed's generator: each record derived from its own id through its own PRNG (`recordRandom`), never from
 * `Date.now()` or `Math.random()`, so the same scale always gives byte-identical rows, whatever the batch size,
 * and a batch can be generated on its own. Rows are objects keyed by entity property, ready for the writer.
 */
import { searchTextOf } from '../../../subgraphs/product/entities/Product';
import { type Random, recordRandom, Stream } from './random';

export type SeedScale = 'small' | 'large';

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

const CURRENCY = 'USD';

/** A row to insert, keyed by entity property. */
export type Row = Record<string, unknown>;

/** The counts of one scale. */
export type ScaleCounts = (typeof SCALES)[SeedScale];

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

export function userRow(id: number, users: number): Row {
  const random = recordRandom(Stream.user, id);
  const createdAt = timeOf(id, users, SEED_EPOCH, CATALOG_DAYS, random);
  if (id === 1) return { id, ...DEMO_USER, createdAt };
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  // The id keeps every address unique however the names repeat.
  return { id, email: `${mailboxOf(first, last)}${id}@example.com`, name: `${first} ${last}`, createdAt };
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

export function addressRows(userId: number): Row[] {
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

export function categoryRow(id: number): Row {
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

export function productRow(id: number, counts: ScaleCounts): Row {
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

export function orderWithItems(id: number, counts: ScaleCounts): { row: Row; items: Row[] } {
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
