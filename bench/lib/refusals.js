/**
 * What our router refused during a run, read from its Prometheus metrics: operations refused by demand control
 * (budgets, limits), by code, and requests shed while its event loop lagged. The bench runs it with budgets that
 * must refuse nothing (lib/routers.js), and checks that after every run. Plain Node: unit-tested without the
 * bench's packages.
 */

/** The samples of a Prometheus text exposition, by metric name: `[{ labels: { name: value }, value }]`. */
function prometheusSamples(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (!samples.has(match[1])) samples.set(match[1], []);
    samples.get(match[1]).push({ labels, value: Number(match[3]) });
  }
  return samples;
}

/** The refusals counted so far in a `/metrics` text: `{ demand: { code: n }, shed }`. */
function refusalsIn(metricsText) {
  const samples = prometheusSamples(metricsText);
  const demand = {};
  for (const { labels, value } of samples.get('demand_refusals_total') ?? []) demand[labels.code] = (demand[labels.code] ?? 0) + value;
  const shed = (samples.get('router_shed_total') ?? []).reduce((sum, sample) => sum + sample.value, 0);
  return { demand, shed };
}

/** What `after` counted that `before` had not (both from `refusalsIn`): `{ demand: { code: n }, demandTotal, shed }`. */
function refusalsBetween(before, after) {
  if (!before || !after) return null;
  const demand = {};
  for (const [code, count] of Object.entries(after.demand)) {
    const added = count - (before.demand[code] ?? 0);
    if (added > 0) demand[code] = added;
  }
  return { demand, demandTotal: Object.values(demand).reduce((a, b) => a + b, 0), shed: after.shed - before.shed };
}

module.exports = { prometheusSamples, refusalsIn, refusalsBetween };
