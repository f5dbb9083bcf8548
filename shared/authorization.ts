import { type ConstDirectiveNode, Kind, type ValueNode } from 'graphql';
import { ErrorCode } from './errorRegistry';

/**
 * What a caller must have to read a field declared with `@authenticated` / `@requiresScopes`: signed in,
 * and every scope requirement met. A requirement is an OR of AND-sets: `[["a", "b"], ["c"]]` is a and b, or c.
 */
export interface Requirement {
  authenticated: boolean;
  scopes: string[][][];
}

/** Who is asking, as far as authorization cares. */
export interface Caller {
  userId: string | null;
  scopes: ReadonlySet<string>;
}

export type DenialCode = typeof ErrorCode.UNAUTHENTICATED | typeof ErrorCode.FORBIDDEN;

/** Why `caller` may not read a field with `requirement`, or null when they may. */
export function denialFor(requirement: Requirement, caller: Caller): DenialCode | null {
  const scopesMet = requirement.scopes.every((anyOf) => anyOf.some((allOf) => allOf.every((scope) => caller.scopes.has(scope))));
  if (caller.userId === null && (requirement.authenticated || !scopesMet)) return ErrorCode.UNAUTHENTICATED;
  return scopesMet ? null : ErrorCode.FORBIDDEN;
}

/** The message for a denial, naming the schema coordinate so a developer knows what to ask for. */
export function denialMessage(code: DenialCode, coordinate: string): string {
  return code === ErrorCode.UNAUTHENTICATED ? `Sign in to read ${coordinate}.` : `You are not allowed to read ${coordinate}.`;
}

function scopesArgument(value: ValueNode | undefined): string[][] {
  if (value?.kind !== Kind.LIST) return [];
  return value.values.map((group) =>
    group.kind === Kind.LIST ? group.values.flatMap((scope) => (scope.kind === Kind.STRING ? [scope.value] : [])) : [],
  );
}

/** Reads `@authenticated` and `@requiresScopes` (under their local names) from a definition's directives. */
export function requirementOf(
  directives: readonly ConstDirectiveNode[] | undefined,
  names: { authenticated: string | null; requiresScopes: string | null },
): Requirement | null {
  const requirement: Requirement = { authenticated: false, scopes: [] };
  for (const directive of directives ?? []) {
    if (directive.name.value === names.authenticated) requirement.authenticated = true;
    if (directive.name.value === names.requiresScopes) {
      requirement.scopes.push(scopesArgument(directive.arguments?.find((arg) => arg.name.value === 'scopes')?.value));
    }
  }
  return requirement.authenticated || requirement.scopes.length > 0 ? requirement : null;
}

/** Both requirements at once. */
export function mergeRequirements(a: Requirement | null | undefined, b: Requirement | null | undefined): Requirement | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return { authenticated: a.authenticated || b.authenticated, scopes: [...a.scopes, ...b.scopes] };
}
