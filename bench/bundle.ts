/**
 * esbuild bundles as the CDK stack builds the Lambda (`lib/monitor-function.ts`: NodejsFunction with
 * ESM output, node24 target, minified, external source map without sources, `module,main` main
 * fields, the createRequire banner, nothing external unless `bundleAwsSdk: false`), and the cold
 * start measurement of such a bundle: its size and the time to `import()` it in a fresh process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const HANDLER_ENTRY = join(REPO_ROOT, 'functions', 'handler.ts');

/** The banner `lib/monitor-function.ts` adds: CommonJS dependencies call require() in ESM output. */
const REQUIRE_BANNER =
  "import{createRequire as __rwCreateRequire}from'node:module';const require=__rwCreateRequire(import.meta.url);";

/** esbuild options equal to the CDK bundling command of the poll function. */
export function lambdaBuildOptions(externalAwsSdk: boolean): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external: externalAwsSdk ? ['@aws-sdk/*'] : [],
    banner: { js: REQUIRE_BANNER },
    logLevel: 'silent',
  };
}

export interface BundleResult {
  /** What was bundled: `functions/handler.ts`, or the fallback entry. */
  entry: string;
  file: string;
  /** Size of `index.mjs` (the source map is a separate file and is not loaded unless asked). */
  bytes: number;
  /** The largest packages / folders by bytes in the output, for "what would close the gap". */
  largest: Array<{ module: string; bytes: number }>;
}

/**
 * Bundles the Lambda handler into `outDir/index.mjs`. Falls back to the poll use case plus the
 * composition root when `functions/handler.ts` does not exist (say so when reporting).
 */
export async function bundleHandler(outDir: string, externalAwsSdk: boolean): Promise<BundleResult> {
  const file = join(outDir, 'index.mjs');
  const handlerExists = existsSync(HANDLER_ENTRY);
  const options = lambdaBuildOptions(externalAwsSdk);
  const result = await build({
    ...options,
    ...(handlerExists
      ? { entryPoints: [HANDLER_ENTRY] }
      : {
          stdin: {
            contents:
              "export { runPoll } from './functions/core/poll.ts';\nexport { createPollDependencies } from './functions/runtime/dependencies.ts';\n",
            resolveDir: REPO_ROOT,
            sourcefile: 'fallback-entry.ts',
            loader: 'ts',
          },
        }),
    outfile: file,
    metafile: true,
  });
  const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('.mjs'))?.[1];
  const byModule = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const key = moduleGroup(path);
    byModule.set(key, (byModule.get(key) ?? 0) + input.bytesInOutput);
  }
  return {
    entry: handlerExists
      ? relative(REPO_ROOT, HANDLER_ENTRY)
      : 'functions/core/poll.ts + functions/runtime/dependencies.ts (fallback)',
    file,
    bytes: output?.bytes ?? 0,
    largest: [...byModule.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([module, bytes]) => ({ module, bytes })),
  };
}

/** `node_modules/@aws-sdk/client-sns/dist-es/...` → `@aws-sdk/client-sns`; own code → its folder. */
function moduleGroup(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return path.split('/').slice(0, 2).join('/');
  const rest = path.slice(at + 'node_modules/'.length).split('/');
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
}

/** Bundles the benchmark's poll child like the Lambda, so its RSS is that of bundled code. */
export async function bundlePollChild(outDir: string): Promise<string> {
  const file = join(outDir, 'poll-child.mjs');
  await build({
    ...lambdaBuildOptions(false),
    entryPoints: [join(REPO_ROOT, 'bench', 'poll-child.ts')],
    outfile: file,
  });
  return file;
}

export interface ImportTiming {
  /** `performance.now()` around `await import(bundle)` inside the fresh process. */
  importMs: number;
  /** Spawn to exit of that process: Node's own start-up included. */
  processMs: number;
}

/**
 * Imports the bundle in `runs` fresh processes, with the environment the stack gives the function
 * (table, topic, credentials secret, configuration file next to the bundle), and returns each run.
 */
export async function timeImports(bundleFile: string, runs: number): Promise<ImportTiming[]> {
  const dir = dirname(bundleFile);
  const configFile = join(dir, 'restore-watch.config.json');
  writeFileSync(
    configFile,
    `${JSON.stringify({
      targets: [
        { projectId: '5f1a2b3c4d5e6f7081920a1b', clusterId: '6a1b2c3d4e5f60718293a4b5', name: 'bench' },
      ],
    })}\n`,
  );
  const script = [
    'const started = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(bundleFile).href)});`,
    'process.stdout.write(JSON.stringify({ importMs: performance.now() - started }));',
  ].join('\n');
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    RESTORE_WATCH_TABLE: 'restore-watch-bench',
    RESTORE_WATCH_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:restore-watch-bench',
    RESTORE_WATCH_CREDENTIALS_SECRET: 'restore-watch/bench',
    RESTORE_WATCH_CONFIG_FILE: configFile,
    POWERTOOLS_SERVICE_NAME: 'restore-watch',
  };
  const timings: ImportTiming[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0
          ? resolve(stdout)
          : reject(new Error(`importing the bundle failed (${code}): ${stderr.slice(0, 800)}`)),
      );
    });
    const processMs = performance.now() - started;
    const parsed = JSON.parse(out.slice(out.lastIndexOf('{'))) as { importMs: number };
    timings.push({ importMs: parsed.importMs, processMs });
  }
  return timings;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * A fresh folder under `node_modules/.cache/` (falls back to the OS temp folder): inside the project
 * so that a bundle with `@aws-sdk/*` external still resolves the SDK, as the Lambda runtime provides it.
 */
export function tempDir(prefix: string): string {
  const cache = join(REPO_ROOT, 'node_modules', '.cache', 'restore-watch-bench');
  let dir: string;
  try {
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(join(cache, prefix));
  } catch {
    dir = mkdtempSync(join(tmpdir(), prefix));
  }
  created.push(dir);
  return dir;
}

const created: string[] = [];

/** Deletes every folder `tempDir` made in this process. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
