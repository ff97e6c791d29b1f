/**
 * A real headless browser for tests: Debian's Chromium (`apt-get install -y chromium`; `.ci/run`
 * installs it on a fresh machine) driven by playwright-core. Never `npx playwright install`: these
 * machines have no network but the package registries.
 *
 * The flags keep an offline machine quiet: without the background-networking ones Chromium keeps
 * opening connections that are refused. Each launch gets a fresh profile folder, removed on close.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.RESTORE_WATCH_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * Browser tests run wherever Chromium is installed, and always in CI (where a missing browser is a
 * failure, not a skip: `.ci/run` installs it).
 */
export const RUN_BROWSER_TESTS = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1366, height: 768 }): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (Debian), or set RESTORE_WATCH_CHROMIUM to a Chromium binary.`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'restore-watch-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
