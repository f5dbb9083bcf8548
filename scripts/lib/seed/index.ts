/**
 * Deterministic, realistic seed data for the three subgraph databases, at a chosen scale: the generator
 * (`generator.ts`, each record from its own id), its random numbers (`random.ts`) and the writer (`writer.ts`).
 * Import from here.
 */

export type { SeedScale } from './generator';
export { SCALES } from './generator';
export { mulberry32 } from './random';
export type { SeedProgress, SeedSummary, SeedTargets } from './writer';
export { isEmpty, seed } from './writer';
