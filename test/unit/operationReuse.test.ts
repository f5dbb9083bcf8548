import * as federation from '@apollo/federation-internals';
import { parse } from 'graphql';
import { installGatewayFastPaths } from '../../router/gateway/fastPaths/installGatewayFastPaths';
import { reusingOperations } from '../../router/gateway/fastPaths/operationReuse';
import { installedVersions } from '../../router/gateway/fastPaths/versionCheck';

const SCHEMA_SDL = `
  type Query { me: User }
  type User { id: ID! name: String friends: [User!]! }
`;

const QUERY = `query Me($withName: Boolean!) { me { id ...Names friends { id } } } fragment Names on User { name @include(if: $withName) }`;

/** The document `executeQueryPlan` builds for each request: the operation first, then the fragments. */
function executionDocument(parsed: ReturnType<typeof parse>) {
  return { kind: parsed.kind, definitions: [...parsed.definitions] } as ReturnType<typeof parse>;
}

describe('reusing the operation built for a document', () => {
  const original = federation.operationFromDocument;

  it('returns the same operation for the same definition objects, and builds anew for anything else', () => {
    let built = 0;
    const reuse = reusingOperations((schema, document, options) => {
      built += 1;
      return original(schema, document, options);
    });
    const schema = federation.buildSchema(SCHEMA_SDL);
    const parsed = parse(QUERY);
    const first = reuse(schema, executionDocument(parsed), { validate: false });
    expect(reuse(schema, executionDocument(parsed), { validate: false })).toBe(first);
    expect(built).toBe(1);
    expect(first.toString()).toBe(original(schema, parse(QUERY), { validate: false }).toString());

    // The same text parsed again (another document object): built anew.
    expect(reuse(schema, executionDocument(parse(QUERY)), { validate: false })).not.toBe(first);
    // The same operation node with other fragment objects (a rewritten document): built anew.
    const rewritten = parse(QUERY);
    expect(reuse(schema, { ...parsed, definitions: [parsed.definitions[0], rewritten.definitions[1]] }, { validate: false })).not.toBe(
      first,
    );
    // Another schema (a hot reload): built anew.
    expect(reuse(federation.buildSchema(SCHEMA_SDL), executionDocument(parsed), { validate: false })).not.toBe(first);
    // Any other call (planning validates and names the operation): always the original.
    const before = built;
    reuse(schema, executionDocument(parsed), { operationName: 'Me' });
    reuse(schema, executionDocument(parsed), { operationName: 'Me' });
    reuse(schema, executionDocument(parsed));
    expect(built).toBe(before + 3);
  });

  it('passes failures through without remembering them', () => {
    const reuse = reusingOperations(original);
    const schema = federation.buildSchema(SCHEMA_SDL);
    const broken = parse('query { me { id } } fragment F on Nowhere { id }');
    expect(() => reuse(schema, broken, { validate: false })).toThrow('Unknown type "Nowhere" for fragment "F"');
    expect(() => reuse(schema, broken, { validate: false })).toThrow('Unknown type "Nowhere" for fragment "F"');
  });

  it('once installed, reaches callers of the package index (as the gateway calls it)', () => {
    installGatewayFastPaths(installedVersions());
    installGatewayFastPaths(installedVersions());
    const schema = federation.buildSchema(SCHEMA_SDL);
    const parsed = parse(QUERY);
    const viaIndex = require('@apollo/federation-internals') as typeof federation;
    const first = viaIndex.operationFromDocument(schema, executionDocument(parsed), { validate: false });
    expect(viaIndex.operationFromDocument(schema, executionDocument(parsed), { validate: false })).toBe(first);
  });
});
