import test from 'ava';
import type { Browser } from 'playwright-core';
import { BROWSER_TIMEOUT_MS, launchChromium, pageOfOrigin } from './support/browser.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';

// SPEC §3 GET /docs: a real browser renders the OpenAPI document of a running node, with
// nothing fetched from anywhere else (the docs must work with no internet access).

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
  browser = await launchChromium(t);
  if (!browser) return;
  const origin = new URL(cluster.nodes[0]!.url).origin;
  const { page, elsewhere, errors } = await pageOfOrigin(browser, origin);

  await page.goto(`${origin}/docs`, { timeout: BROWSER_TIMEOUT_MS });
  const placeBet = page.locator('.opblock-post').filter({ has: page.locator('.opblock-summary-path[data-path="/bets"]') });
  await placeBet.waitFor({ state: 'visible', timeout: BROWSER_TIMEOUT_MS });
  t.is(await placeBet.count(), 1);
  t.regex(await placeBet.locator('.opblock-summary').innerText(), /POST[\s\S]*\/bets[\s\S]*Place a bet/);

  await placeBet.locator('.opblock-summary-control').click();
  const idempotencyKey = placeBet.locator('.parameter__name', { hasText: 'idempotency-key' });
  await idempotencyKey.waitFor({ state: 'visible', timeout: BROWSER_TIMEOUT_MS });
  t.regex((await idempotencyKey.getAttribute('class')) ?? '', /\brequired\b/, 'the key is shown as required');
  await placeBet.locator('.responses-table .response[data-code="202"]').waitFor({ state: 'visible', timeout: BROWSER_TIMEOUT_MS });

  t.deepEqual(elsewhere, [], 'the page asked for nothing outside the node');
  t.deepEqual(errors, [], 'no script error and no Content-Security-Policy violation');
});
