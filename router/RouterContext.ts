import type { Caller } from '../shared';
import type { DemandContext } from './demand/demandControlPlugin';

/** What each operation knows about its caller. */
export interface RouterContext extends DemandContext {
  /** The caller, from a verified bearer token; anonymous without one. */
  caller: Caller;
  /** `performance.now()` past which no subgraph call starts (the request-wide deadline). */
  deadline: number;
  /** Set only on plan-warming requests (`isWarming`). */
  warming?: true;
}

/**
 * True for the requests the router runs on itself at start-up to plan documents (`router/warmup/`): the
 * subgraph data sources answer them without calling a subgraph, and no budget, usage or metric sees them.
 */
export function isWarming(context: unknown): boolean {
  return (context as { warming?: unknown } | null)?.warming === true;
}
