/**
 * Regenerates docs/report.png, the README's picture of the HTML report: 90 days of a generated
 * 400-day trail of five clusters (bench/report-trail.ts), rendered by the real HTML renderer and
 * photographed in headless Chromium down to the end of its charts.
 *
 *   node bench/report-screenshot.ts [--out docs/report.png]
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadChartScripts } from '../functions/cli/report/chart-libraries.ts';
import { renderHtml } from '../functions/cli/report/render-html.ts';
import { buildRestoreReport } from '../functions/core/report/build-report.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { REPO_ROOT } from './bundle.ts';
import { generateTrail } from './report-trail.ts';

const DAY = 86_400_000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = values.out ?? join(REPO_ROOT, 'docs', 'report.png');
  const endMs = Date.parse('2026-11-28T08:00:00.000Z');
  const trail = generateTrail({ targets: 5, days: 400, events: 6_000, endMs, seed: 7 });
  const period = { since: new Date(endMs - 90 * DAY).toISOString(), until: new Date(endMs).toISOString() };
  const inPeriod = (time: string) => time >= period.since && time < period.until;
  const report = buildRestoreReport({
    period,
    generatedAt: period.until,
    targets: trail.targets.map((target) => ({
      target,
      events: trail.events.filter(
        (event) => event.clusterId === target.clusterId && inPeriod(event.detectedAt),
      ),
      jobs: trail.jobs
        .filter((job) => job.target.clusterId === target.clusterId)
        .map((job) => job.state)
        .filter((state) => inPeriod(state.snapshot.created ?? state.firstSeenAt)),
    })),
  });
  const file = join(tmpdir(), `restore-watch-report-${process.pid}.html`);
  await writeFile(file, renderHtml(report, await loadChartScripts()));
  const browser = await launchChromium({ width: 1280, height: 900 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`file://${file}`);
    await page.waitForFunction('document.documentElement.dataset.charts === "ready"');
    const bottom = await page.evaluate(
      'document.getElementById("trend").getBoundingClientRect().bottom + window.scrollY',
    );
    await page.screenshot({
      fullPage: true,
      path: out,
      clip: { x: 0, y: 0, width: 1280, height: Math.ceil(Number(bottom)) + 16 },
    });
  } finally {
    await browser.close();
  }
  process.stdout.write(
    `${report.overall.restores.requested} restores of ${trail.restores} in 90 days; wrote ${out}\n`,
  );
}

await main();
