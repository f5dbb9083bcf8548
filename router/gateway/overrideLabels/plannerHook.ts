import { AsyncLocalStorage } from 'node:async_hooks';
import { type PackageVersions, untestedVersions } from '../fastPaths/versionCheck';
import type { LabelSet } from './overrideLabels';

type QueryPlannerClass = typeof import('@apollo/query-planner').QueryPlanner;
type BuildQueryPlan = QueryPlannerClass['prototype']['buildQueryPlan'];
type PlanOptions = NonNullable<Parameters<BuildQueryPlan>[1]>;

/** The label set of the request being executed, for the planner call `@apollo/gateway` makes inside it. */
const scope = new AsyncLocalStorage<LabelSet>();
/** The hooked `buildQueryPlan` put in place in this module registry, so that installing twice hooks nothing twice. */
let installed: BuildQueryPlan | null = null;

/** The packages the hook relies on: the planner it wraps, and the gateway that calls it inside the request. */
const PACKAGES = ['@apollo/gateway', '@apollo/query-planner'];

/**
 * Hooks `QueryPlanner.prototype.buildQueryPlan` of `@apollo/query-planner` (process-wide): inside
 * `withLabels`, the planner gets the request's labels as `overrideConditions`, which it accepts since 2.14
 * but `@apollo/gateway` never passes (it plans every label as off). Outside it (a request without labels, any
 * other caller) the call is unchanged. Only on the versions the hook was tested with: otherwise nothing is
 * hooked and the reason comes back (the router then plans every label as off, as the stock gateway does).
 */
export function installOverrideLabelHook(versions: PackageVersions): { active: boolean; refused: string | null } {
  const refused = untestedVersions(PACKAGES, versions);
  if (refused) return { active: overrideLabelHookActive(), refused: `untested versions: ${refused}` };
  const prototype = plannerPrototype();
  if (installed && prototype.buildQueryPlan === installed) return { active: true, refused: null };
  const original = prototype.buildQueryPlan;
  if (typeof original !== 'function') return { active: false, refused: '@apollo/query-planner has no QueryPlanner.buildQueryPlan' };
  const hooked: BuildQueryPlan = function (this: InstanceType<QueryPlannerClass>, operation, options) {
    const labels = scope.getStore();
    if (!labels || labels.active.size === 0) return original.call(this, operation, options);
    const overrideConditions = new Map(options?.overrideConditions ?? []);
    for (const [label, on] of labels.active) overrideConditions.set(label, on);
    return original.call(this, operation, { ...options, overrideConditions } satisfies PlanOptions);
  };
  prototype.buildQueryPlan = hooked;
  installed = hooked;
  return { active: true, refused: null };
}

/** Whether the hook is in place in this module registry now. */
export function overrideLabelHookActive(): boolean {
  return installed !== null && plannerPrototype().buildQueryPlan === installed;
}

/** Runs `execute` with `labels` as the labels any query plan built inside it is planned with. */
export function withLabels<T>(labels: LabelSet, execute: () => T): T {
  return scope.run(labels, execute);
}

/** The labels of the request being executed, if it has any. */
export function currentLabels(): LabelSet | undefined {
  return scope.getStore();
}

function plannerPrototype(): { buildQueryPlan: BuildQueryPlan } {
  return (require('@apollo/query-planner') as { QueryPlanner: QueryPlannerClass }).QueryPlanner.prototype;
}
