/**
 * The charting code the HTML report inlines, read from node_modules when a report is rendered: the
 * UMD builds of d3 and Observable Plot (each package names it under its `umd` export condition) and
 * our own `report-charts.js`. CLI-only: nothing in the Lambda bundle imports this, so the bundle
 * does not grow by the ~500 KB of chart code.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ChartScripts {
  /** In load order: d3, then Plot (it reads the global `d3`), then the report's own script. */
  readonly scripts: ReadonlyArray<{ name: string; source: string }>;
}

/** A package needed to draw the charts is missing: the install is incomplete. */
export class ChartLibraryError extends Error {
  readonly packageName: string;
  constructor(packageName: string, options?: ErrorOptions) {
    super(
      `The HTML report needs the npm package "${packageName}" and it cannot be read: run \`npm ci\` in the restore-watch folder (or use --format md, text, csv or json).`,
      options,
    );
    this.name = 'ChartLibraryError';
    this.packageName = packageName;
  }
}

const require = createRequire(import.meta.url);

/** The package's own folder: resolve its main entry, then walk up to the package.json that names it. */
async function packageFolder(
  packageName: string,
): Promise<{ folder: string; manifest: Record<string, unknown> }> {
  let folder = dirname(require.resolve(packageName));
  for (;;) {
    try {
      const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      if (manifest.name === packageName) return { folder, manifest };
    } catch {
      // No package.json at this level: keep walking up.
    }
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`no package.json named ${packageName} above its entry`);
    folder = parent;
  }
}

async function umdBuild(packageName: string): Promise<string> {
  try {
    const { folder, manifest } = await packageFolder(packageName);
    const exportsField = manifest.exports as Record<string, unknown> | undefined;
    const umd = typeof exportsField?.umd === 'string' ? exportsField.umd : undefined;
    if (umd === undefined) throw new Error(`${packageName} declares no "umd" export`);
    return await readFile(join(folder, umd), 'utf8');
  } catch (error) {
    throw new ChartLibraryError(packageName, { cause: error });
  }
}

export async function loadChartScripts(): Promise<ChartScripts> {
  const [d3, plot, charts] = await Promise.all([
    umdBuild('d3'),
    umdBuild('@observablehq/plot'),
    readFile(new URL('./report-charts.js', import.meta.url), 'utf8'),
  ]);
  return {
    scripts: [
      { name: 'd3', source: d3 },
      { name: '@observablehq/plot', source: plot },
      { name: 'restore-watch report charts', source: charts },
    ],
  };
}
