/**
 * The HTML report in a real browser (Chromium, headless): it loads offline with no console error and
 * no request, draws the expected number of marks in each chart, has no accessibility violation that
 * axe-core finds, fits a laptop screen, and prints to PDF with its charts. The screenshot and the PDF
 * are kept under test/output/report-html/ (gitignored; CI keeps it as an artifact).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChartScripts } from '../../functions/cli/report/chart-libraries.ts';
import { renderHtml } from '../../functions/cli/report/render-html.ts';
import { buildRestoreReport } from '../../functions/core/report/build-report.ts';
import type { RestoreReport } from '../../functions/core/report/report-model.ts';
import { at, PERIOD, runScenario, scenarioPeriod } from '../core/report/report-scenario.ts';
import { type Browser, launchChromium, RUN_BROWSER_TESTS } from '../support/chromium.ts';

const OUTPUT = join(import.meta.dirname, '..', 'output', 'report-html');
const AXE = join(import.meta.dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');

/** The browser globals the page functions use: the project type-checks without the DOM library. */
interface PageGlobals {
  document: { documentElement: { scrollWidth: number; dataset: Record<string, string | undefined> } };
  innerWidth: number;
  axe: {
    run(context: unknown): Promise<{ violations: Array<{ id: string; help: string; nodes: unknown[] }> }>;
  };
}

let report: RestoreReport;
let browser: Browser;
let page: Page;
const consoleMessages: string[] = [];
const requests: string[] = [];
let documentUrl: string;

describe.skipIf(!RUN_BROWSER_TESTS)('the HTML report in Chromium', () => {
  beforeAll(async () => {
    // Prepare: the known history, rendered and opened from a file, as a user opens it.
    report = buildRestoreReport({
      period: PERIOD,
      generatedAt: at(601),
      targets: [scenarioPeriod(runScenario())],
    });
    await mkdir(OUTPUT, { recursive: true });
    const file = join(OUTPUT, 'report.html');
    await writeFile(file, renderHtml(report, await loadChartScripts()));
    documentUrl = `file://${file}`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleMessages.push(message.text());
    });
    page.on('pageerror', (error) => consoleMessages.push(`uncaught: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));

    // Act
    await page.goto(documentUrl);
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.documentElement.dataset.charts === 'ready',
      undefined,
      {
        timeout: 15_000,
      },
    );
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no console error and no request but the file itself', () => {
    expect(consoleMessages).toEqual([]);
    expect(requests).toEqual([documentUrl]);
  });

  it('draws one mark per restore in the timeline and one per measured finish in the duration charts', async () => {
    // Prepare
    const measured = report.restores.filter((row) => row.outcome === 'FINISHED' && row.duration).length;
    const marks = (figure: string, mark: string) =>
      page.locator(`#${figure} svg g[aria-label="${mark}"] > *`).count();

    // Assess
    expect(await marks('timeline', 'dot')).toBe(report.restores.length);
    expect(await marks('durations', 'bar')).toBe(measured);
    expect(await marks('durations', 'tick')).toBe(report.targets.length);
    expect(await marks('trend', 'rule')).toBe(measured);
    expect(measured).toBe(5);
  });

  it('has no accessibility violation that axe-core finds', async () => {
    // Prepare: axe from node_modules, injected as text (no request).
    await page.addScriptTag({ content: await readFile(AXE, 'utf8') });

    // Act
    const violations = await page.evaluate(async () => {
      const page = globalThis as unknown as PageGlobals;
      const result = await page.axe.run(page.document);
      return result.violations.map(
        (violation) => `${violation.id}: ${violation.help} (${violation.nodes.length})`,
      );
    });

    // Assess
    expect(violations).toEqual([]);
  });

  it('fits a laptop screen without scrolling sideways, and keeps a screenshot', async () => {
    // Act
    const overflow = await page.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      return page.document.documentElement.scrollWidth - page.innerWidth;
    });
    await page.screenshot({ path: join(OUTPUT, 'report.png'), fullPage: true });

    // Assess
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('prints to PDF with its three charts', async () => {
    // Act
    await page.emulateMedia({ media: 'print' });
    const visibleCharts = await page
      .locator('figure.chart svg[role="img"]')
      .evaluateAll((svgs) => svgs.filter((svg) => svg.getBoundingClientRect().width > 0).length);
    const pdf = await page.pdf({ path: join(OUTPUT, 'report.pdf'), format: 'A4', printBackground: true });
    await page.emulateMedia({ media: 'screen' });

    // Assess
    expect(visibleCharts).toBe(3);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  });
});
