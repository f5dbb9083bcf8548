/**
 * Ratios to the stock gateway in the same run: what stays comparable from one result to the next (absolute
 * figures differ with the machine and how busy it was), and the comparison `compare.js` makes of two results.
 * Plain Node: it runs without the bench's packages.
 */

/** The figures a ratio is taken of: the median of the valid runs (peak RSS: the highest peak). */
const FIGURES = {
  rps: (s) => s.rps?.median,
  p95: (s) => s.p95?.median,
  cpuMsPerRequest: (s) => s.cpuMsPerRequest?.median,
  peakRssMb: (s) => s.peakRssMb?.max,
};

/** Per operation and router, each figure divided by the stock gateway's (null where either is missing). */
function ratiosToStock(summary, operations, routers) {
  const ratios = {};
  for (const op of operations) {
    const stock = summary[op.name]?.stock;
    if (!stock) continue;
    ratios[op.name] = {};
    for (const router of routers) {
      const own = summary[op.name][router];
      if (!own) continue;
      ratios[op.name][router] = {};
      for (const [figure, of] of Object.entries(FIGURES)) {
        const value = of(own);
        const base = of(stock);
        ratios[op.name][router][figure] = typeof value === 'number' && typeof base === 'number' && base > 0 ? value / base : null;
      }
    }
  }
  return ratios;
}

/** A result's ratios: written by the bench since the distinct canned mode, worked out from the summary before. */
function ratiosOf(result) {
  return result.ratios ?? ratiosToStock(result.summary, result.operations, result.routers);
}

/**
 * Compares our router's CPU per request (as a ratio to stock's) in `current` with `baseline`, operation by
 * operation. Returns one row per operation both hold, with `warning` set when the ratio grew by more than
 * `thresholdPercent`.
 */
function compareCpu(current, baseline, { router = 'ours', thresholdPercent = 10 } = {}) {
  const now = ratiosOf(current);
  const before = ratiosOf(baseline);
  const rows = [];
  for (const [operation, routers] of Object.entries(now)) {
    const cpuNow = routers[router]?.cpuMsPerRequest;
    const cpuBefore = before[operation]?.[router]?.cpuMsPerRequest;
    if (typeof cpuNow !== 'number' || typeof cpuBefore !== 'number') continue;
    const changePercent = 100 * (cpuNow / cpuBefore - 1);
    rows.push({
      operation,
      cpuRatio: cpuNow,
      baselineCpuRatio: cpuBefore,
      changePercent,
      rpsRatio: routers[router]?.rps ?? null,
      baselineRpsRatio: before[operation]?.[router]?.rps ?? null,
      warning: changePercent > thresholdPercent,
    });
  }
  return rows;
}

module.exports = { ratiosToStock, ratiosOf, compareCpu };
