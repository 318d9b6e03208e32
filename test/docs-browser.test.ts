import { existsSync } from 'node:fs';
import test from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { startCluster, type TestCluster } from './support/cluster.ts';

// SPEC §3 GET /docs: a real browser renders the OpenAPI document of a running node, with
// nothing fetched from anywhere else (the docs must work with no internet access).

// CI installs Debian's chromium (.ci/run); a missing browser fails the test, never skips it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RENDER_TIMEOUT_MS = 90_000;

let cluster: TestCluster;
let browser: Browser | undefined;

test.before(async () => {
  cluster = await startCluster();
});

test.after.always(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('the docs page renders POST /bets with its Idempotency-Key, loading nothing from elsewhere', async (t) => {
  t.timeout(3 * 60_000);
  if (!existsSync(CHROMIUM)) {
    t.fail(`no browser at ${CHROMIUM}: install chromium (apt-get install chromium) or set CHROMIUM_PATH`);
    return;
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: RENDER_TIMEOUT_MS });
  const context = await browser.newContext();
  const origin = new URL(cluster.nodes[0]!.url).origin;
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

  await page.goto(`${origin}/docs`, { timeout: RENDER_TIMEOUT_MS });
  const placeBet = page.locator('.opblock-post').filter({ has: page.locator('.opblock-summary-path[data-path="/bets"]') });
  await placeBet.waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });
  t.is(await placeBet.count(), 1);
  t.regex(await placeBet.locator('.opblock-summary').innerText(), /POST[\s\S]*\/bets[\s\S]*Place a bet/);

  await placeBet.locator('.opblock-summary-control').click();
  const idempotencyKey = placeBet.locator('.parameter__name', { hasText: 'idempotency-key' });
  await idempotencyKey.waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });
  t.regex((await idempotencyKey.getAttribute('class')) ?? '', /\brequired\b/, 'the key is shown as required');
  await placeBet.locator('.responses-table .response[data-code="202"]').waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });

  t.deepEqual(elsewhere, [], 'the page asked for nothing outside the node');
  t.deepEqual(errors, [], 'no script error and no Content-Security-Policy violation');
});
