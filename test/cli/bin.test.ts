/**
 * The entry points as real processes, the way `node bin/restore-watch.ts` and `npm start` run them: Node runs
 * the TypeScript directly (type stripping), so these need the Node 24 that runs the suite.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliResult, workDirs, writeConfig } from './cli-harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const dirs = workDirs();
afterAll(() => dirs.removeAll());

/** Runs a bin file with only PATH in its environment (no credentials, table or topic leak in). */
function runBin(file: string, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', file), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '' },
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
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('bin/restore-watch.ts as a process', () => {
  it('prints the usage and exits 0 for --help', async () => {
    const cwd = await dirs.make();

    const result = await runBin('restore-watch.ts', ['--help'], cwd);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: restore-watch <command> \[options\]/);
  });

  it('exits 2 and names the problems for a bad configuration', async () => {
    const cwd = await dirs.make();
    await writeConfig(cwd, { targets: [] });

    const result = await runBin('restore-watch.ts', ['poll'], cwd);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('targets: list at least one target');
    expect(result.stderr).toContain('no Cloud Manager credentials');
    expect(result.stderr).toContain('Nothing was written.');
  });
});

describe('bin/start.ts as a process', () => {
  it('runs `run` with the configuration file when there is one', async () => {
    // A configuration `run` rejects proves that `run --config restore-watch.config.json` was chosen.
    const cwd = await dirs.make();
    await writeConfig(cwd, { targets: [] });

    const result = await runBin('start.ts', [], cwd);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('restore-watch.config.json: targets: list at least one target');
  });
});
