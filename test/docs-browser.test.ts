import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { openDb } from '../src/shared/db.ts';
import { DEMO_OPERATORS, seedDemoOperators } from '../src/modules/operators/demo-operators.ts';
import { BROWSER_TIMEOUT_MS, launchChromium, pageOfOrigin } from './support/browser.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';

// SPEC §3 GET /docs: a real browser renders the OpenAPI document of a running node, with
// nothing fetched from anywhere else (the docs must work with no internet access), and
// "Try it out" with the document's examples places a bet as `npm start`'s demo operator.

let cluster: TestCluster;
// One browser for the file's tests, which run at once: launched by the first that asks.
let browser: Promise<Browser | undefined> | undefined;

test.before(async () => {
  cluster = await startCluster();
  // The demo operators `npm start` seeds (their wallet is the cluster's wallet mock).
  const db = await openDb(cluster.database.url, 1);
  await seedDemoOperators(db.orm.em.fork());
  await db.end();
});

/** The shared browser; a missing one fails the test that asked first, never skips it. */
async function launchBrowser(t: ExecutionContext): Promise<Browser | undefined> {
  browser ??= launchChromium(t);
  return await browser;
}

/** Expands an operation, presses "Try it out", lets `edit` change the prefilled request, executes it and returns the answer. */
async function tryItOut(page: Page, method: string, path: string, edit: (operation: ReturnType<Page['locator']>) => Promise<void> = async () => {}) {
  const operation = page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
  await operation.locator('.opblock-summary-control').click();
  await operation.locator('.try-out__btn').click();
  await edit(operation);
  const [answer] = await Promise.all([
    page.waitForResponse((response) => new URL(response.url()).pathname === path && response.request().method() === method.toUpperCase(), { timeout: BROWSER_TIMEOUT_MS }),
    operation.locator('.execute').click(),
  ]);
  const shown = operation.locator('.live-responses-table tr.response .response-col_status');
  await shown.waitFor({ state: 'visible', timeout: BROWSER_TIMEOUT_MS });
  return { status: answer.status(), body: (await answer.json()) as any, shownStatus: (await shown.innerText()).trim() };
}

test.after.always(async () => {
  await (await browser)?.close();
  await cluster?.stop();
});

test('the docs page renders POST /bets with its Idempotency-Key, loading nothing from elsewhere', async (t) => {
  t.timeout(3 * 60_000);
  const browser = await launchBrowser(t);
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

test('"Try it out" with the examples launches a session and places a bet as the demo operator', async (t) => {
  t.timeout(3 * 60_000);
  const browser = await launchBrowser(t);
  if (!browser) return;
  const page = await (await browser.newContext()).newPage();
  const origin = new URL(cluster.nodes[0]!.url).origin;
  await page.goto(`${origin}/docs`, { timeout: BROWSER_TIMEOUT_MS });
  await page.locator('.opblock-summary-path[data-path="/bets"]').first().waitFor({ state: 'visible', timeout: BROWSER_TIMEOUT_MS });

  // Authorize with the demo key, as the README says.
  await page.locator('.auth-wrapper .authorize').click();
  const keyForm = page.locator('.auth-container').filter({ hasText: 'operatorKey' });
  await keyForm.locator('input').fill(DEMO_OPERATORS[0].apiKey);
  await keyForm.locator('button.authorize').click();
  await keyForm.locator('button.btn-done').click();

  // The launch example as it is.
  const launched = await tryItOut(page, 'post', '/sessions/launch');
  t.is(launched.status, 201, JSON.stringify(launched.body));
  t.is(launched.shownStatus, '201');
  t.like(launched.body, { playerId: 'player-7', currency: 'EUR', status: 'active' });

  // The bet example, on the session just launched (the example's token is from another database).
  const placed = await tryItOut(page, 'post', '/bets', async (operation) => {
    const body = operation.locator('textarea.body-param__text');
    const example = JSON.parse(await body.inputValue());
    await body.fill(JSON.stringify({ ...example, sessionToken: launched.body.sessionToken }));
  });
  t.is(placed.status, 201, JSON.stringify(placed.body));
  t.is(placed.shownStatus, '201');
  t.like(placed.body, { playerId: 'player-7', amount: 1000, game: 'dice' });
  t.true(['won', 'lost'].includes(placed.body.status), JSON.stringify(placed.body));
});
