import { existsSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';

// CI installs Debian's chromium (.ci/run); a missing browser fails the test, never skips it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const BROWSER_TIMEOUT_MS = 90_000;

/** Headless Chromium, or undefined once `t` has failed for want of one. */
export async function launchChromium(t: ExecutionContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    t.fail(`no browser at ${CHROMIUM}: install chromium (apt-get install chromium) or set CHROMIUM_PATH`);
    return undefined;
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: BROWSER_TIMEOUT_MS });
}

export interface WatchedPage {
  page: Page;
  /** Every URL the page asked for outside `origin` (each was refused). */
  elsewhere: string[];
  /** Script errors and console errors, Content-Security-Policy violations among them. */
  errors: string[];
}

/** A page that may load from `origin` (and data: URLs) only, and records anything else it tried and every error. */
export async function pageOfOrigin(browser: Browser, origin: string): Promise<WatchedPage> {
  const context = await browser.newContext();
  const elsewhere: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, elsewhere, errors };
}
