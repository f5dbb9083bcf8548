/**
 * The seed's random numbers: every record draws from a PRNG of its own, seeded from its stream and id
 * (`recordRandom`), never from `Math.random()`, so the same id always gives the same record.
 */

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
export const Stream = { user: 0x75736572, product: 0x70726f64, price: 0x70726963, order: 0x6f726465, address: 0x61646472 } as const;
export type Stream = (typeof Stream)[keyof typeof Stream];

/** The PRNG of one record: a murmur3-style mix of stream and id, so neighbours are uncorrelated. */
export function recordRandom(stream: Stream, id: number): Random {
  let h = Math.imul(stream ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(id, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return new Random(mulberry32(h ^ (h >>> 16)));
}

export class Random {
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
