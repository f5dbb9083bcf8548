import { ApolloGateway } from '@apollo/gateway';
import {
  type ConstDirectiveNode,
  findBreakingChanges,
  findDangerousChanges,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  Kind,
  parse,
  type TypeNode,
} from 'graphql';
import {
  type CoordinateUse,
  CostModel,
  checkSubgraphLinks,
  checkSupergraph,
  prepareSupergraph,
  SupergraphRefused,
  type UsageStore,
  type UsageTraffic,
} from '../router';
import { requirementOf } from '../shared';
import { type CompositionProblem, composeSupergraph, type SubgraphSource } from './composeSupergraph';
import { coordinatesOfChange } from './coordinatesOfChange';

export type Severity = 'breaking' | 'dangerous' | 'safe';

/** One difference between the published and the proposed client-facing API. */
export interface SchemaChange {
  severity: Severity;
  type: string;
  message: string;
  /** For a breaking change checked against usage: who used what it breaks in the window (empty: nobody). */
  usage?: CoordinateUse[];
  /** The schema coordinate a deprecation, an authorization or a `@cost`/`@listSize`/`@maxPageSize` change is about. */
  coordinate?: string;
  /** False for a breaking change nobody used in the window: reported as a warning, the check passes. */
  blocking?: boolean;
  /**
   * True for a breaking change nobody used in a window with too little traffic to judge (fewer requests
   * than the minimum): blocking unless the check was told to accept unknown usage.
   */
  unknownUsage?: boolean;
}

/** Why a check failed, as stable codes for scripts (the printed summary says the same in words). */
export type CheckFailure = 'COMPOSITION_FAILED' | 'ROUTER_REFUSED' | 'BREAKING_CHANGE_IN_USE' | 'NOT_ENOUGH_TRAFFIC' | 'LINT_ERRORS';

/** What the check read usage from, and what it needs to call a breaking change unused. */
export interface UsageOptions {
  store: UsageStore;
  /** The window: the last `days` days (UTC), today included. */
  days: number;
  /** Below this many requests in the window, "nobody used it" cannot be told from "nothing was recorded". */
  minRequests: number;
  /** Call a breaking change nobody used harmless even below `minRequests` (a new graph, a test setup). */
  allowUnknownUsage: boolean;
}

/** The traffic the usage window holds, beside the minimum the check asked for. */
export interface TrafficReport extends UsageTraffic {
  windowDays: number;
  minRequests: number;
  enough: boolean;
}

/** The message of a breaking change that passes only for lack of data, and of the failure it causes. */
export const NOT_ENOUGH_TRAFFIC_MESSAGE = 'not enough recorded traffic to judge; pass --allow-unknown-usage to accept';

/** A rule a subgraph's SDL breaks. Errors fail the check; warnings are reported. */
export interface LintProblem {
  rule: string;
  severity: 'error' | 'warning';
  coordinate: string;
  message: string;
}

export interface CheckReport {
  subgraph: string;
  ok: boolean;
  composition: CompositionProblem[];
  changes: SchemaChange[];
  lint: LintProblem[];
  /** The composed supergraph, when composition succeeded (what `publish` writes). */
  supergraphSdl: string | null;
  /** Why the router would refuse to serve the composed supergraph (a feature nobody here implements), or null. */
  refusal: string | null;
  /** How much traffic the usage window holds, when the check read usage. */
  traffic: TrafficReport | null;
  /** Why the check failed (empty when it passed). */
  failures: CheckFailure[];
}

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/** The client-facing API schema of a supergraph, as the router serves it. */
export async function apiSchemaOf(supergraphSdl: string): Promise<GraphQLSchema> {
  const gateway = new ApolloGateway({ supergraphSdl: prepareSupergraph(supergraphSdl).gatewaySdl, logger: SILENT });
  const { schema } = await gateway.load();
  await gateway.stop();
  return schema;
}

/**
 * Compares what the API schema no longer shows: `@authenticated`/`@requiresScopes` (tightening one is
 * breaking, loosening it dangerous) and `@cost`/`@listSize`/`@maxPageSize` (any change alters costs and
 * budgets: dangerous; a lower maximum page size refuses requests that worked: breaking).
 */
export function directiveChanges(publishedSdl: string, proposedSdl: string): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const rules = (sdl: string) => {
    const prepared = prepareSupergraph(sdl);
    const byCoordinate = new Map<string, string>();
    for (const definition of prepared.document.definitions) {
      if (!('name' in definition) || !definition.name) continue;
      const add = (coordinate: string, directives: readonly ConstDirectiveNode[] | undefined) => {
        const requirement = requirementOf(directives, prepared.securityDirectives);
        if (requirement) byCoordinate.set(coordinate, JSON.stringify(requirement));
      };
      add(definition.name.value, 'directives' in definition ? (definition.directives as readonly ConstDirectiveNode[]) : undefined);
      if ('fields' in definition && definition.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION) {
        for (const field of definition.fields ?? []) add(`${definition.name.value}.${field.name.value}`, field.directives);
      }
    }
    return { auth: byCoordinate, cost: new CostModel(prepared.document) };
  };
  const before = rules(publishedSdl);
  const after = rules(proposedSdl);
  for (const coordinate of new Set([...before.auth.keys(), ...after.auth.keys()])) {
    const was = before.auth.get(coordinate);
    const now = after.auth.get(coordinate);
    if (was === now) continue;
    if (!was)
      changes.push({
        severity: 'breaking',
        type: 'AUTHORIZATION_ADDED',
        message: `${coordinate} now requires ${now}: callers without it lose access.`,
        coordinate,
      });
    else if (!now)
      changes.push({
        severity: 'dangerous',
        type: 'AUTHORIZATION_REMOVED',
        message: `${coordinate} no longer requires ${was}: anyone can read it now.`,
      });
    else changes.push({ severity: 'dangerous', type: 'AUTHORIZATION_CHANGED', message: `${coordinate} required ${was}, now ${now}.` });
  }
  const compare = (label: string, a: Map<string, unknown>, b: Map<string, unknown>, lowerIsBreaking = false) => {
    for (const coordinate of new Set([...a.keys(), ...b.keys()])) {
      const was = a.get(coordinate);
      const now = b.get(coordinate);
      if (JSON.stringify(was) === JSON.stringify(now)) continue;
      const breaking = lowerIsBreaking && typeof was === 'number' && (now === undefined || (typeof now === 'number' && now < was));
      changes.push({
        severity: breaking ? 'breaking' : 'dangerous',
        type: `${label
          .replace('@', '')
          .replace(/([a-z])([A-Z])/g, '$1_$2')
          .toUpperCase()}_CHANGED`,
        message: `${label} of ${coordinate}: ${JSON.stringify(was ?? null)} → ${JSON.stringify(now ?? null)}.`,
        coordinate,
      });
    }
  };
  compare(
    '@cost',
    new Map([...before.cost.fieldWeights, ...before.cost.typeWeights, ...before.cost.argumentWeights, ...before.cost.inputFieldWeights]),
    new Map([...after.cost.fieldWeights, ...after.cost.typeWeights, ...after.cost.argumentWeights, ...after.cost.inputFieldWeights]),
  );
  compare('@listSize', before.cost.listSizes, after.cost.listSizes);
  compare('@maxPageSize', before.cost.maxPageSizes, after.cost.maxPageSizes, true);
  return changes;
}

function isBoundedListField(directives: readonly ConstDirectiveNode[] | undefined): boolean {
  return (directives ?? []).some((directive) => directive.name.value === 'listSize');
}

function namedTypeOf(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedTypeOf(type.type);
}

function listOfObjects(type: TypeNode): boolean {
  if (type.kind === Kind.NON_NULL_TYPE) return listOfObjects(type.type);
  return type.kind === Kind.LIST_TYPE;
}

/**
 * Rules for subgraph owners, on their own SDL: every type and field described (frontend developers read
 * them in Sandbox), names in GraphQL's conventions, and no unbounded list of objects (a connection, or a
 * list with `@listSize` saying how long it gets).
 */
export function lintSubgraph(sdl: string, schema: GraphQLSchema): LintProblem[] {
  const problems: LintProblem[] = [];
  const document = parse(sdl);
  const roots = new Set(['Query', 'Mutation', 'Subscription']);
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name || definition.kind === Kind.DIRECTIVE_DEFINITION) continue;
    const typeName = definition.name.value;
    const isExtension = definition.kind.endsWith('Extension');
    if (!isExtension && !roots.has(typeName) && !('description' in definition && definition.description)) {
      problems.push({
        rule: 'description-required',
        severity: 'error',
        coordinate: typeName,
        message: `Type ${typeName} has no description.`,
      });
    }
    if (!/^[A-Z][A-Za-z0-9]*$/.test(typeName)) {
      problems.push({ rule: 'naming', severity: 'error', coordinate: typeName, message: `Type ${typeName} should be PascalCase.` });
    }
    if ('values' in definition) {
      for (const value of definition.values ?? []) {
        const coordinate = `${typeName}.${value.name.value}`;
        if (!/^[A-Z][A-Z0-9_]*$/.test(value.name.value))
          problems.push({
            rule: 'naming',
            severity: 'error',
            coordinate,
            message: `Enum value ${coordinate} should be SCREAMING_SNAKE_CASE.`,
          });
        if (!value.description)
          problems.push({
            rule: 'description-required',
            severity: 'error',
            coordinate,
            message: `Enum value ${coordinate} has no description.`,
          });
      }
    }
    if (!('fields' in definition)) continue;
    for (const field of definition.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      if (field.name.value.startsWith('_')) continue;
      if (!field.description)
        problems.push({ rule: 'description-required', severity: 'error', coordinate, message: `Field ${coordinate} has no description.` });
      if (!/^[a-z][A-Za-z0-9]*$/.test(field.name.value))
        problems.push({ rule: 'naming', severity: 'error', coordinate, message: `Field ${coordinate} should be camelCase.` });
      for (const argument of 'arguments' in field ? (field.arguments ?? []) : []) {
        if (!/^[a-z][A-Za-z0-9]*$/.test(argument.name.value)) {
          problems.push({
            rule: 'naming',
            severity: 'error',
            coordinate: `${coordinate}(${argument.name.value}:)`,
            message: `Argument ${argument.name.value} of ${coordinate} should be camelCase.`,
          });
        }
      }
      if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || !listOfObjects(field.type)) continue;
      const returned = schema.getType(namedTypeOf(field.type));
      const objects = isObjectType(returned) || isInterfaceType(returned) || isUnionType(returned);
      const inConnection = field.name.value === 'edges' && /Connection$/.test(typeName);
      if (objects && !inConnection && !isBoundedListField(field.directives)) {
        problems.push({
          rule: 'unbounded-list',
          severity: 'error',
          coordinate,
          message: `${coordinate} returns a list of objects with no bound: make it a connection (first/after, @listSize sizedFields) or declare @listSize(assumedSize:).`,
        });
      }
    }
  }
  return problems;
}

/** Added fields and types: what the spec calls safe, listed so that a check shows every change. */
function safeChanges(before: GraphQLSchema, after: GraphQLSchema): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const [name, type] of Object.entries(after.getTypeMap())) {
    if (name.startsWith('__')) continue;
    const old = before.getType(name);
    if (!old) {
      changes.push({ severity: 'safe', type: 'TYPE_ADDED', message: `${name} was added.` });
      continue;
    }
    if ((isObjectType(type) || isInterfaceType(type)) && (isObjectType(old) || isInterfaceType(old))) {
      const oldFields = old.getFields();
      for (const field of Object.keys(type.getFields()))
        if (!oldFields[field]) changes.push({ severity: 'safe', type: 'FIELD_ADDED', message: `${name}.${field} was added.` });
    }
  }
  return changes;
}

/**
 * Deprecations added, removed or reworded between two API schemas, on what both have: fields, their
 * arguments, input fields and enum values. Safe (nothing breaks yet), and reported because a deprecation
 * announces a removal: the check names who still uses the coordinate.
 */
export function deprecationChanges(before: GraphQLSchema, after: GraphQLSchema): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const compare = (kind: string, coordinate: string, was: string | null | undefined, now: string | null | undefined) => {
    if ((was ?? null) === (now ?? null)) return;
    const type = `${kind}_${now == null ? 'DEPRECATION_REMOVED' : was == null ? 'DEPRECATED' : 'DEPRECATION_REASON_CHANGED'}`;
    const message =
      now == null
        ? `${coordinate} is no longer deprecated.`
        : was == null
          ? `${coordinate} is deprecated: ${now}`
          : `${coordinate} is deprecated for another reason: ${now}`;
    changes.push({ severity: 'safe', type, message, coordinate });
  };
  for (const [name, type] of Object.entries(after.getTypeMap())) {
    const old = before.getType(name);
    if (name.startsWith('__') || !old) continue;
    if ((isObjectType(type) || isInterfaceType(type)) && (isObjectType(old) || isInterfaceType(old))) {
      const oldFields = old.getFields();
      for (const field of Object.values(type.getFields())) {
        const oldField = oldFields[field.name];
        if (!oldField) continue;
        compare('FIELD', `${name}.${field.name}`, oldField.deprecationReason, field.deprecationReason);
        for (const arg of field.args) {
          const oldArg = oldField.args.find((a) => a.name === arg.name);
          if (oldArg) compare('ARGUMENT', `${name}.${field.name}(${arg.name}:)`, oldArg.deprecationReason, arg.deprecationReason);
        }
      }
    } else if (isInputObjectType(type) && isInputObjectType(old)) {
      const oldFields = old.getFields();
      for (const field of Object.values(type.getFields())) {
        const oldField = oldFields[field.name];
        if (oldField) compare('INPUT_FIELD', `${name}.${field.name}`, oldField.deprecationReason, field.deprecationReason);
      }
    } else if (isEnumType(type) && isEnumType(old)) {
      for (const value of type.getValues()) {
        const oldValue = old.getValue(value.name);
        if (oldValue) compare('ENUM_VALUE', `${name}.${value.name}`, oldValue.deprecationReason, value.deprecationReason);
      }
    }
  }
  return changes;
}

/**
 * `check <subgraph>`: composes the proposed SDL with the other subgraphs, and compares the result with the
 * published supergraph: composition errors, every change of the client-facing API classified (graphql-js's
 * breaking and dangerous changes, plus the directives the API no longer shows), and the lint rules. A removed
 * field must have been deprecated in the published supergraph first.
 */
export async function checkSubgraph(
  sources: SubgraphSource[],
  subgraph: string,
  publishedSupergraphSdl: string,
  usage?: UsageOptions,
): Promise<CheckReport> {
  const report: CheckReport = {
    subgraph,
    ok: false,
    composition: [],
    changes: [],
    lint: [],
    supergraphSdl: null,
    refusal: null,
    traffic: null,
    failures: [],
  };
  const composed = composeSupergraph(sources);
  if (!composed.ok) {
    report.composition = composed.problems;
    report.failures.push('COMPOSITION_FAILED');
    return report;
  }
  report.supergraphSdl = composed.supergraphSdl;
  try {
    for (const source of sources) checkSubgraphLinks(source.name, source.sdl);
    checkSupergraph(composed.supergraphSdl);
  } catch (error) {
    if (!(error instanceof SupergraphRefused)) throw error;
    // Composition accepts it, but no router here would serve it: fail before anyone publishes it.
    report.refusal = error.message;
    report.failures.push('ROUTER_REFUSED');
    return report;
  }
  const [before, after] = await Promise.all([apiSchemaOf(publishedSupergraphSdl), apiSchemaOf(composed.supergraphSdl)]);
  for (const change of findBreakingChanges(before, after))
    report.changes.push({ severity: 'breaking', type: change.type, message: change.description });
  for (const change of findDangerousChanges(before, after))
    report.changes.push({ severity: 'dangerous', type: change.type, message: change.description });
  report.changes.push(
    ...directiveChanges(publishedSupergraphSdl, composed.supergraphSdl),
    ...deprecationChanges(before, after),
    ...safeChanges(before, after),
  );
  for (const change of report.changes) {
    if (change.type !== 'FIELD_REMOVED') continue;
    const [typeName, fieldName] = change.message.split(' ')[0].split('.');
    const type = before.getType(typeName);
    const field = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[fieldName] : undefined;
    if (field && !field.deprecationReason) {
      report.lint.push({
        rule: 'deprecate-before-removal',
        severity: 'error',
        coordinate: `${typeName}.${fieldName}`,
        message: `${typeName}.${fieldName} is removed without a published @deprecated: deprecate it, publish, and remove it in a later release.`,
      });
    }
  }
  if (usage) {
    const traffic = await usage.store.traffic(usage.days);
    const enough = traffic.requests >= usage.minRequests;
    report.traffic = { ...traffic, windowDays: usage.days, minRequests: usage.minRequests, enough };
    for (const change of report.changes.filter((c) => c.severity === 'breaking')) {
      const coordinates = coordinatesOfChange(change, before, after);
      change.usage = coordinates.length > 0 ? await usage.store.usesOf(coordinates, usage.days) : [];
      // A change that cannot be tied to a coordinate stays blocking: nobody can say it is unused. Nor can
      // anyone from a window that holds too little traffic, unless told to accept that.
      if (coordinates.length > 0 && change.usage.length === 0 && !enough) change.unknownUsage = true;
      change.blocking = coordinates.length === 0 || change.usage.length > 0 || (change.unknownUsage === true && !usage.allowUnknownUsage);
      if (!change.blocking) {
        for (const problem of report.lint) {
          if (problem.rule === 'deprecate-before-removal' && coordinates.includes(problem.coordinate)) problem.severity = 'warning';
        }
      }
    }
    for (const change of report.changes) {
      if (change.coordinate && change.type.endsWith('_DEPRECATED'))
        change.usage = await usage.store.usesOf([change.coordinate], usage.days);
    }
  }
  const source = sources.find((s) => s.name === subgraph);
  if (source) report.lint.push(...lintSubgraph(source.sdl, after));
  const blocking = report.changes.filter((change) => change.severity === 'breaking' && change.blocking !== false);
  if (blocking.some((change) => !change.unknownUsage)) report.failures.push('BREAKING_CHANGE_IN_USE');
  if (blocking.some((change) => change.unknownUsage)) report.failures.push('NOT_ENOUGH_TRAFFIC');
  if (report.lint.some((problem) => problem.severity === 'error')) report.failures.push('LINT_ERRORS');
  report.ok = report.failures.length === 0;
  return report;
}
