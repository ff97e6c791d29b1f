/**
 * The command line itself: usage, unknown commands and options, and options given to a command
 * they do not apply to. None of these may touch state: each runs in an empty folder and leaves it so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hasEmbeddedState, runCli, workDirs } from './cli-harness.ts';

const dirs = workDirs();
afterEach(() => dirs.removeAll());

describe('restore-watch arguments', () => {
  it('prints the usage and exits 0 for --help', async () => {
    // Prepare
    const cwd = await dirs.make();

    // Act
    const result = await runCli(['--help'], { cwd });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: restore-watch <command> \[options\]/);
    for (const command of ['poll', 'run', 'init', 'status', 'audit', 'demo']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'));
    }
    expect(result.stderr).toBe('');
  });

  it('prints the usage and exits 0 for -h after a command', async () => {
    const cwd = await dirs.make();

    const result = await runCli(['poll', '-h'], { cwd });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: restore-watch/);
    expect(hasEmbeddedState(cwd)).toBe(false);
  });

  it('prints the usage and exits 2 when no command is given', async () => {
    const cwd = await dirs.make();

    const result = await runCli([], { cwd });

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/which command\?\n\nUsage: restore-watch <command>/);
  });

  it('exits 2 naming an unknown command', async () => {
    const cwd = await dirs.make();

    const result = await runCli(['pol'], { cwd });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "pol"');
    expect(result.stderr).toContain('restore-watch --help');
    expect(result.stdout).toBe('');
  });

  it('exits 2 naming an unknown option', async () => {
    const cwd = await dirs.make();

    const result = await runCli(['poll', '--dryrun'], { cwd });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'--dryrun'");
    expect(hasEmbeddedState(cwd)).toBe(false);
  });

  it('exits 2 naming an option that does not apply to the command', async () => {
    const cwd = await dirs.make();

    const result = await runCli(['status', '--dry-run'], { cwd });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--dry-run does not apply to "status"');
    expect(hasEmbeddedState(cwd)).toBe(false);
  });

  it('exits 2 on a second positional argument', async () => {
    const cwd = await dirs.make();

    const result = await runCli(['status', 'now'], { cwd });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unexpected argument "now"');
  });

  it.each([['5s'], ['soon'], ['0m']])(
    'exits 2 for run --every %s, asking for a period of at least 10s',
    async (every) => {
      const cwd = await dirs.make();

      const result = await runCli(['run', '--every', every], { cwd });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--every "${every}": use a period of at least 10s`);
      expect(hasEmbeddedState(cwd)).toBe(false);
    },
  );

  it.each([['0'], ['ten'], ['10001']])(
    'exits 2 for audit --limit %s, naming the accepted range',
    async (limit) => {
      const cwd = await dirs.make();

      const result = await runCli(['audit', '--limit', limit], { cwd });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--limit "${limit}": use a whole number from 1 to 10000`);
      expect(hasEmbeddedState(cwd)).toBe(false);
    },
  );
});
