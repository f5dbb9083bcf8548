/** The results as a markdown table (ratios to the stock gateway) and a hand-written SVG chart. */

const ROUTER_LABELS = { ours: 'ours', stock: 'stock @apollo/gateway', hive: 'Hive Gateway', floor: 'floor (direct)' };
const COLORS = { ours: '#2563eb', stock: '#9ca3af', hive: '#f59e0b', floor: '#10b981' };

const fixed = (value, digits = 0) => (value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const ratio = (value, base) => (value && base ? `${(value / base).toFixed(2)}×` : '–');
const spread = (stat, digits) => (stat ? `${fixed(stat.median, digits)} (${fixed(stat.min, digits)}–${fixed(stat.max, digits)})` : '–');

function markdown(result) {
  const lines = [];
  const { meta } = result;
  // Results written before the distinct canned mode do not say which traffic they had (their file name does).
  const traffic = meta.distinct === undefined ? '' : meta.distinct ? ', distinct requests' : ', identical requests';
  lines.push(`# Router benchmark ${meta.date} (${meta.commit}, ${meta.mode}${traffic}${meta.quick ? ', quick' : ''})`);
  lines.push('');
  lines.push(
    `${meta.connections} connections, ${meta.durationSeconds} s per run, ${meta.rounds} interleaved rounds, ` +
      `${meta.warmupSeconds} s warm-up per router and operation; router ${meta.pinned ? 'pinned to core 1, load generator to core 0' : 'not pinned (no taskset)'}; ` +
      `Node ${meta.node} on ${meta.cpu} (${meta.cores} cores). Medians of the valid runs, (min–max) over them; ` +
      `ratios are to the stock gateway in the same run (req/s: higher is better; p95 and CPU: lower is better).`,
  );
  lines.push('');
  const other = result.runs
    .map((run) => run.otherCpuPercentOfMachine)
    .filter((v) => typeof v === 'number')
    .sort((a, b) => a - b);
  const loadGen = result.runs.map((run) => run.loadGeneratorCpuPercent).filter((v) => typeof v === 'number');
  if (other.length > 0) {
    lines.push(
      `Machine during the runs: processes outside the bench (MariaDB, anything else running) used a median ${fixed(other[Math.floor(other.length / 2)], 0)}% ` +
        `(max ${fixed(other[other.length - 1], 0)}%) of the machine's CPU; the load generator used at most ${fixed(Math.max(...loadGen), 0)}% of its core.`,
    );
    lines.push('');
  }
  lines.push(
    '| operation | router | req/s | ×stock | p50 ms | p95 ms | ×stock | p99 ms | router CPU ms/req | ×stock | subgraph CPU ms/req | peak RSS MB | subgraph req/op | SQL/op | SQL/req under load | valid runs |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const titleOf = (op) => (op.variants > 1 ? `${op.title}, ${op.variants} requests` : op.title);
  for (const op of result.operations) {
    const base = result.summary[op.name]?.stock;
    for (const router of result.routers) {
      const s = result.summary[op.name]?.[router];
      if (!s) continue;
      const counts = result.counts[router]?.[op.name];
      lines.push(
        [
          titleOf(op),
          ROUTER_LABELS[router] ?? router,
          spread(s.rps, 0),
          ratio(s.rps?.median, base?.rps?.median),
          fixed(s.p50?.median, 1),
          spread(s.p95, 1),
          ratio(s.p95?.median, base?.p95?.median),
          fixed(s.p99?.median, 1),
          spread(s.cpuMsPerRequest, 3),
          ratio(s.cpuMsPerRequest?.median, base?.cpuMsPerRequest?.median),
          fixed(s.subgraphCpuMsPerRequest?.median, 2),
          fixed(s.peakRssMb?.max, 0),
          counts ? fixed(counts.subgraphRequests, 0) : '–',
          counts && counts.sqlStatements !== null ? fixed(counts.sqlStatements, 0) : '–',
          s.sqlPerRequestUnderLoad ? fixed(s.sqlPerRequestUnderLoad.median, 2) : '–',
          `${s.validRuns}/${s.runs}`,
        ]
          .join(' | ')
          .replace(/^/, '| ')
          .replace(/$/, ' |'),
      );
    }
  }
  lines.push('');
  const invalid = result.runs.filter((run) => !run.valid);
  if (invalid.length > 0) {
    lines.push('Runs that did not count:');
    lines.push('');
    for (const run of invalid) lines.push(`- round ${run.round}, ${run.operation} × ${run.router}: ${run.invalidReasons.join('; ')}`);
    lines.push('');
  }
  if (result.problems.length > 0) {
    lines.push('Problems:');
    lines.push('');
    for (const problem of result.problems) lines.push(`- ${problem}`);
    lines.push('');
  }
  if (meta.distinct) {
    lines.push(
      'Distinct requests: each operation rotates over the requests named in its row (users, products, pages, orders), and a router’s ' +
        'run counts only if none of its requests repeated one within a second (the floor’s may: it keeps nothing between requests).',
    );
  } else if (meta.distinct === false) {
    lines.push(
      'Identical requests: every connection sends the same read, so routers that share identical subgraph calls in flight ' +
        '(ours, Hive Gateway, and the floor on real subgraphs) show deduplication’s best case, not real traffic.',
    );
  }
  if (meta.distinct !== undefined) lines.push('');
  lines.push(
    'Router CPU is user + system time of the router process (all threads) over the run, divided by the requests it answered. ' +
      'Subgraph requests and SQL statements per operation come from a separate, unmeasured pass through a counting proxy ' +
      `(the floor ${meta.mode === 'canned' ? 'sends the stock gateway’s recorded answer without subgraph requests' : 'makes the stock gateway’s subgraph requests'}). See bench/README.md.`,
  );
  lines.push('');
  return lines.join('\n');
}

const escapeXml = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Grouped bars (one group per operation, one bar per router) with min–max whiskers. */
function panel({ x0, y0, width, height, title, unit, operations, routers, metricOf }) {
  const parts = [];
  let max = 0;
  for (const op of operations) {
    for (const router of routers) {
      const stat = metricOf(op.name, router);
      if (stat) max = Math.max(max, stat.max ?? stat.median ?? 0);
    }
  }
  const nice = niceCeiling(max || 1);
  const plotLeft = x0 + 60;
  const plotTop = y0 + 30;
  const plotHeight = height - 70;
  const plotWidth = width - 70;
  parts.push(
    `<text x="${x0 + width / 2}" y="${y0 + 16}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const value = (nice * i) / 4;
    const y = plotTop + plotHeight - (plotHeight * i) / 4;
    parts.push(`<line x1="${plotLeft}" y1="${y}" x2="${plotLeft + plotWidth}" y2="${y}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${plotLeft - 6}" y="${y + 4}" text-anchor="end" font-size="11">${escapeXml(formatTick(value))}</text>`);
  }
  parts.push(
    `<text x="${x0 + 14}" y="${plotTop + plotHeight / 2}" transform="rotate(-90 ${x0 + 14} ${plotTop + plotHeight / 2})" text-anchor="middle" font-size="11">${escapeXml(unit)}</text>`,
  );
  const groupWidth = plotWidth / operations.length;
  const barWidth = Math.min(36, (groupWidth - 20) / routers.length);
  operations.forEach((op, g) => {
    const groupLeft = plotLeft + g * groupWidth + (groupWidth - barWidth * routers.length) / 2;
    routers.forEach((router, r) => {
      const stat = metricOf(op.name, router);
      if (!stat || stat.median === null || stat.median === undefined) return;
      const x = groupLeft + r * barWidth;
      const h = (plotHeight * stat.median) / nice;
      const y = plotTop + plotHeight - h;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[router] ?? '#666'}"><title>${escapeXml(`${op.name} × ${ROUTER_LABELS[router] ?? router}: ${formatTick(stat.median)} ${unit} (min ${formatTick(stat.min)}, max ${formatTick(stat.max)})`)}</title></rect>`,
      );
      const cx = x + (barWidth - 3) / 2;
      const yMin = plotTop + plotHeight - (plotHeight * stat.min) / nice;
      const yMax = plotTop + plotHeight - (plotHeight * stat.max) / nice;
      parts.push(
        `<line x1="${cx.toFixed(1)}" y1="${yMin.toFixed(1)}" x2="${cx.toFixed(1)}" y2="${yMax.toFixed(1)}" stroke="#111" stroke-width="1"/>`,
      );
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${(Math.min(y, yMax) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${escapeXml(formatTick(stat.median))}</text>`,
      );
    });
    parts.push(
      `<text x="${(plotLeft + g * groupWidth + groupWidth / 2).toFixed(1)}" y="${plotTop + plotHeight + 16}" text-anchor="middle" font-size="12">${escapeXml(op.title)}</text>`,
    );
  });
  parts.push(
    `<line x1="${plotLeft}" y1="${plotTop + plotHeight}" x2="${plotLeft + plotWidth}" y2="${plotTop + plotHeight}" stroke="#111"/>`,
  );
  return parts.join('\n');
}

function niceCeiling(value) {
  const exponent = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * exponent >= value) return step * exponent;
  return 10 * exponent;
}

function formatTick(value) {
  if (value === null || value === undefined) return '–';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function svg(result) {
  const width = 1000;
  const panelHeight = 300;
  const { operations, routers, summary, meta } = result;
  const parts = [];
  const height = 60 + panelHeight * 3 + 20;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  parts.push(
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(`Routers side by side: ${meta.date} ${meta.commit} (${meta.mode}${meta.quick ? ', quick' : ''})`)}</text>`,
  );
  routers.forEach((router, i) => {
    const x = 120 + i * 200;
    parts.push(`<rect x="${x}" y="34" width="14" height="14" fill="${COLORS[router] ?? '#666'}"/>`);
    parts.push(`<text x="${x + 20}" y="46" font-size="12">${escapeXml(ROUTER_LABELS[router] ?? router)}</text>`);
  });
  const metricOf = (metric) => (op, router) => summary[op]?.[router]?.[metric];
  parts.push(
    panel({
      x0: 0,
      y0: 60,
      width,
      height: panelHeight,
      title: 'Throughput (requests/s, higher is better; whiskers: min–max of runs)',
      unit: 'req/s',
      operations,
      routers,
      metricOf: metricOf('rps'),
    }),
  );
  parts.push(
    panel({
      x0: 0,
      y0: 60 + panelHeight,
      width,
      height: panelHeight,
      title: 'p95 latency (ms, lower is better)',
      unit: 'ms',
      operations,
      routers,
      metricOf: metricOf('p95'),
    }),
  );
  parts.push(
    panel({
      x0: 0,
      y0: 60 + panelHeight * 2,
      width,
      height: panelHeight,
      title: 'Router CPU per request (ms, lower is better)',
      unit: 'CPU ms/req',
      operations,
      routers,
      metricOf: metricOf('cpuMsPerRequest'),
    }),
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

module.exports = { markdown, svg, ROUTER_LABELS };
