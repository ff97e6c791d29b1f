/*
 * Draws the charts of the restore report in the page, with Observable Plot (inlined before this
 * script, with d3) from the data in <script id="report-data">. Runs in the browser, offline: no
 * request, no external font. Every chart is SVG, so it prints sharply to PDF.
 *
 * Outcomes are told apart by colour and by shape, so the charts also read in black and white and
 * for colour-blind readers.
 */
(() => {
  const OUTCOMES = ['FINISHED', 'BROKEN', 'KILLED', 'RUNNING', 'OTHER'];
  const COLOURS = ['#1b7837', '#b2182b', '#a65000', '#2158a8', '#5e5e5e'];
  const SYMBOLS = ['circle', 'diamond', 'square', 'triangle', 'star'];
  const WIDTH = 1040;
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const outcomeOf = (restore) =>
    restore.outcome === 'IN_PROGRESS'
      ? 'RUNNING'
      : OUTCOMES.includes(restore.outcome)
        ? restore.outcome
        : 'OTHER';
  const restores = data.restores.map((restore) => ({
    ...restore,
    requested: new Date(restore.requestedAt),
    shownOutcome: outcomeOf(restore),
  }));
  const finished = restores.filter((restore) => restore.lowMinutes !== null && restore.highMinutes !== null);
  const targets = data.targets.length > 0 ? data.targets : [...new Set(restores.map((r) => r.target))];
  const rowHeight = 34;
  const bandHeight = Math.max(140, 60 + rowHeight * targets.length);
  const minutes = (value) => `${Math.round(value * 10) / 10} min`;

  function place(id, chart, label) {
    const host = document.querySelector(`[data-chart="${id}"]`);
    if (!host) return;
    const svg = chart.tagName.toLowerCase() === 'svg' ? chart : chart.querySelector('svg');
    if (svg) {
      // One accessible image per chart: its name is the figure caption; the tables hold the values.
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', label);
    }
    host.replaceChildren(chart);
  }

  place(
    'timeline',
    Plot.plot({
      width: WIDTH,
      height: bandHeight,
      marginLeft: 130,
      x: {
        type: 'utc',
        domain: [new Date(data.since), new Date(data.until)],
        label: 'Requested (UTC)',
        grid: true,
      },
      y: { domain: targets, label: null },
      color: { domain: OUTCOMES, range: COLOURS },
      symbol: { domain: OUTCOMES, range: SYMBOLS, legend: true },
      marks: [
        Plot.dot(restores, {
          x: 'requested',
          y: 'target',
          fill: 'shownOutcome',
          symbol: 'shownOutcome',
          r: 5.5,
          stroke: 'white',
          strokeWidth: 0.75,
          title: (r) => `${r.target} ${r.jobId}\nrequested ${r.requestedAt}\n${r.shownOutcome}`,
        }),
      ],
    }),
    `Timeline of ${restores.length} restores per cluster, by request time and outcome`,
  );

  const medians = targets.flatMap((target) => {
    const mine = finished.filter((restore) => restore.target === target);
    if (mine.length === 0) return [];
    const low = d3.median(mine, (restore) => restore.lowMinutes);
    const high = d3.median(mine, (restore) => restore.highMinutes);
    return [{ target, middle: (low + high) / 2, low, high }];
  });
  place(
    'durations',
    Plot.plot({
      width: WIDTH,
      height: bandHeight,
      marginLeft: 130,
      x: { label: 'Minutes from request to finish', grid: true, zero: true },
      y: { domain: targets, label: null },
      marks: [
        Plot.barX(finished, {
          x1: 'lowMinutes',
          x2: 'highMinutes',
          y: 'target',
          fill: COLOURS[0],
          fillOpacity: 0.3,
          stroke: COLOURS[0],
          strokeWidth: 1,
          insetTop: 6,
          insetBottom: 6,
          title: (r) => `${r.target} ${r.jobId}\n${minutes(r.lowMinutes)} to ${minutes(r.highMinutes)}`,
        }),
        Plot.tickX(medians, {
          x: 'middle',
          y: 'target',
          stroke: '#1a1a1a',
          strokeWidth: 3,
          title: (m) => `${m.target}: median ${minutes(m.low)} to ${minutes(m.high)}`,
        }),
      ],
    }),
    `Duration of ${finished.length} finished restores per cluster, each as the range it is known to`,
  );

  place(
    'trend',
    Plot.plot({
      width: WIDTH,
      height: 300,
      marginLeft: 60,
      x: {
        type: 'utc',
        domain: [new Date(data.since), new Date(data.until)],
        label: 'Requested (UTC)',
        grid: true,
      },
      y: { label: 'Minutes from request to finish', grid: true, zero: true },
      color: { domain: targets, legend: targets.length > 1 },
      marks: [
        Plot.ruleX(finished, {
          x: 'requested',
          y1: 'lowMinutes',
          y2: 'highMinutes',
          stroke: 'target',
          strokeWidth: 3,
          title: (r) =>
            `${r.target} ${r.jobId}\nrequested ${r.requestedAt}\n${minutes(r.lowMinutes)} to ${minutes(r.highMinutes)}`,
        }),
      ],
    }),
    `Durations of ${finished.length} finished restores by request time`,
  );

  document.documentElement.dataset.charts = 'ready';
})();
