import type { Caller } from '../shared';
import type { DemandContext } from './demand/demandControlPlugin';

/** What each operation knows about its caller. */
export interface RouterContext extends DemandContext {
  /** The caller, from a verified bearer token; anonymous without one. */
  caller: Caller;
  /** `performance.now()` past which no subgraph call starts (the request-wide deadline). */
  deadline: number;
}
