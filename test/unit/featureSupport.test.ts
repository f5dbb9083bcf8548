import { supportOf } from '../../router/supergraph/featureSupport';

const link = (url: string, purpose: string | null) => {
  const [, identity, version] = /^(.*)\/(v\d+\.\d+)$/.exec(url) ?? [];
  return { identity, version, purpose };
};

describe('which linked features the router serves', () => {
  it.each([
    ['https://specs.apollo.dev/join/v0.5', 'EXECUTION', 'gateway'],
    ['https://specs.apollo.dev/join/v0.1', 'EXECUTION', 'gateway'],
    ['https://specs.apollo.dev/inaccessible/v0.2', 'SECURITY', 'gateway'],
    ['https://specs.apollo.dev/tag/v0.3', null, 'ignored'],
    ['https://specs.apollo.dev/authenticated/v0.1', 'SECURITY', 'router'],
    ['https://specs.apollo.dev/requiresScopes/v0.1', 'SECURITY', 'router'],
    ['https://specs.apollo.dev/cost/v0.1', null, 'ignored'],
    ['https://example.com/audit/v1.0', null, 'ignored'],
  ])('%s (for: %s) is served (%s)', (url, purpose, by) => {
    expect(supportOf(link(url, purpose))).toEqual({ by });
  });

  it.each([
    ['https://specs.apollo.dev/context/v0.1', 'SECURITY', /@context\/@fromContext, which @apollo\/gateway does not execute/],
    ['https://specs.apollo.dev/policy/v0.1', 'SECURITY', /@policy, .* nobody here enforces/],
    ['https://specs.apollo.dev/connect/v0.2', 'EXECUTION', /@connect \(Apollo Connectors\), which no Node gateway executes/],
    ['https://specs.apollo.dev/inaccessible/v0.3', 'SECURITY', /@apollo\/gateway implements only v0.1, v0.2 of this feature/],
    ['https://example.com/magic/v1.0', 'EXECUTION', /neither @apollo\/gateway nor this router implements it/],
  ])('%s (for: %s) is refused, saying why', (url, purpose, reason) => {
    const support = supportOf(link(url, purpose));
    expect(support.by).toBe('refused');
    expect('reason' in support && support.reason).toMatch(reason);
  });
});
