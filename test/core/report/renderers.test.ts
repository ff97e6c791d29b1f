/**
 * The text, Markdown and CSV renderings of the known history (report-scenario.ts): each states the
 * precision, carries durations as ranges, and has the shape its readers need.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRestoreReport } from '../../../functions/core/report/build-report.ts';
import { CSV_HEADERS, csvField, renderCsv } from '../../../functions/core/report/render-csv.ts';
import { renderMarkdown } from '../../../functions/core/report/render-markdown.ts';
import { renderText } from '../../../functions/core/report/render-text.ts';
import { PRECISION_STATEMENT, type RestoreReport } from '../../../functions/core/report/report-model.ts';
import { at, JOB, PERIOD, runScenario, scenarioPeriod } from './report-scenario.ts';

let report: RestoreReport;
beforeAll(() => {
  report = buildRestoreReport({
    period: PERIOD,
    generatedAt: at(601),
    targets: [scenarioPeriod(runScenario())],
  });
});

/** Minimal RFC 4180 reader: enough to prove the file parses back into the same fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  return rows;
}

describe('renderText', () => {
  it("fits a 100-column terminal and states the precision with this period's window", () => {
    // Act
    const text = renderText(report);

    // Assess
    expect(text.split('\n').filter((line) => line.length > 100)).toEqual([]);
    const flowing = text.replace(/\s+/g, ' ');
    expect(flowing).toContain(PRECISION_STATEMENT);
    expect(flowing).toContain('durations are known to about ±2.5 min');
  });

  it('shows durations as ranges and the restores without one as a count', () => {
    // Act
    const text = renderText(report);

    // Assess
    expect(text).toMatch(/^orders-prod +5 +50-55 min +57-62 min +58-63 min/m);
    expect(text).toContain('2 restores were first seen already finished: counted, without a duration');
    expect(text).toContain(`LONGEST STUCK RESTORE: ${JOB.e}`);
  });
});

describe('renderMarkdown', () => {
  it('states the precision in a quote and lays out every section as a table', () => {
    // Act
    const markdown = renderMarkdown(report);

    // Assess
    expect(markdown).toContain(`> **Precision.** ${PRECISION_STATEMENT}`);
    expect(markdown).toContain(
      '| orders-prod | 9 | 7 | 1 | 0 | 1 | 0 | 87.5% | 5 | 50-55 min | 57-62 min | 58-63 min | - |',
    );
    expect(markdown).toMatch(/^### Sharded batches$/m);
    expect(markdown).toContain(
      `| orders-prod | \`${JOB.e}\` | 2026-11-28 08:02 UTC | IN_PROGRESS | running |`,
    );
  });

  it('escapes pipes in names so a cell never breaks its row', () => {
    // Prepare
    const named = structuredClone(report);
    (named.targets[0] as { target: { name: string } }).target.name = 'a|b';

    // Act
    const markdown = renderMarkdown(named);

    // Assess
    expect(markdown).toContain('| a\\|b | 9 |');
  });
});

describe('renderCsv', () => {
  it('has a header and one row per restore, which parse back to the same fields', () => {
    // Act
    const rows = parseCsv(renderCsv(report));

    // Assess
    expect(rows[0]).toEqual([...CSV_HEADERS]);
    expect(rows).toHaveLength(1 + report.restores.length);
    const b = rows.find((row) => row[3] === JOB.b) as string[];
    const column = (name: string) => b[CSV_HEADERS.indexOf(name)];
    expect(column('duration_low_minutes')).toBe('50');
    expect(column('duration_high_minutes')).toBe('55');
    expect(column('finish_window_minutes')).toBe('5');
    expect(column('outcome_after')).toBe(at(30));
  });

  it('quotes commas and quotes, and defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('orders, "prod"')).toBe('"orders, ""prod"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField(null)).toBe('');
  });
});
