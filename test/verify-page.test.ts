import { randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import type { Browser } from 'playwright-core';
import { GAME_IDS } from '../src/games/registry.ts';
import { LUCKY_DICE_VECTORS } from '../src/games/lucky-dice/test-vectors.ts';
import { SEED_A, SEED_A_HASH, SEED_B, SEED_B_HASH, VECTORS } from '../src/modules/fairness/test-vectors.ts';
import { BROWSER_TIMEOUT_MS, launchChromium, pageOfOrigin, type WatchedPage } from './support/browser.ts';
import { launch, waitForBet } from './support/bets.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { request } from './support/http.ts';
import { createOperator } from './support/operators.ts';

// Issue #20 point 5: GET /verify is a public page where a player checks a round. Its outcome
// is computed in the browser (Web Crypto, SPEC §5) and must equal the published vectors,
// which were computed with openssl, never with the server's code; /fairness/verify's answer
// and the seed's hash are shown beside it. Checked in headless Chromium, as /docs is.

let cluster: TestCluster;
let browser: Browser | undefined;
let origin: string;

const hashOf = (serverSeed: string) => ({ [SEED_A]: SEED_A_HASH, [SEED_B]: SEED_B_HASH })[serverSeed]!;

test.before(async () => {
  cluster = await startCluster();
  origin = new URL(cluster.nodes[0]!.url).origin;
});

test.after.always(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** The page, open on /verify; undefined once `t` failed for want of a browser. */
async function openVerifyPage(t: ExecutionContext): Promise<WatchedPage | undefined> {
  t.timeout(3 * 60_000);
  browser ??= await launchChromium(t);
  if (!browser) return undefined;
  const watched = await pageOfOrigin(browser, origin);
  await watched.page.goto(`${origin}/verify`, { timeout: BROWSER_TIMEOUT_MS });
  return watched;
}

interface RoundValues {
  game: string;
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
}

interface Shown {
  browserOutcome: unknown;
  serverOutcome: unknown;
  outcomeVerdict: string;
  seedHash: string;
  hashVerdict: string;
  hashVerdictText: string;
}

/** What the page shows once both verdicts are in. */
async function shownResults({ page }: WatchedPage): Promise<Shown> {
  await page.locator('#hash-verdict[data-verdict]:not([data-verdict=""])').waitFor({ timeout: BROWSER_TIMEOUT_MS });
  await page.locator('#outcome-verdict[data-verdict]:not([data-verdict=""])').waitFor({ timeout: BROWSER_TIMEOUT_MS });
  const outcomeOf = async (id: string) => JSON.parse((await page.locator(id).getAttribute('data-outcome')) || 'null') as unknown;
  return {
    browserOutcome: await outcomeOf('#browser-outcome'),
    serverOutcome: await outcomeOf('#server-outcome'),
    outcomeVerdict: (await page.locator('#outcome-verdict').getAttribute('data-verdict'))!,
    seedHash: await page.locator('#seed-hash').innerText(),
    hashVerdict: (await page.locator('#hash-verdict').getAttribute('data-verdict'))!,
    hashVerdictText: await page.locator('#hash-verdict').innerText(),
  };
}

/** Types a round's values into the form as a player would, and presses Check. */
async function checkRound(watched: WatchedPage, values: RoundValues): Promise<Shown> {
  const { page } = watched;
  await page.selectOption('#game', values.game);
  await page.fill('#server-seed', values.serverSeed);
  await page.fill('#server-seed-hash', values.serverSeedHash);
  await page.fill('#client-seed', values.clientSeed);
  await page.fill('#nonce', String(values.nonce));
  await page.click('button[type=submit]');
  return shownResults(watched);
}

function assertClean(t: ExecutionContext, { elsewhere, errors }: WatchedPage) {
  t.deepEqual(elsewhere, [], 'the page asked for nothing outside the node');
  t.deepEqual(errors, [], 'no script error and no Content-Security-Policy violation');
}

test('GET /verify needs no key and is served with a strict Content-Security-Policy, its script a file of the node', async (t) => {
  const page = await request('GET', `${origin}/verify`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = (page.headers.get('content-security-policy') ?? '').split(/;\s*/);
  for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "form-action 'none'", "frame-ancestors 'none'"]) {
    t.true(csp.includes(directive), directive);
  }
  t.notRegex(csp.join('; '), /unsafe-inline|unsafe-eval/);
  t.is(page.headers.get('x-content-type-options'), 'nosniff');

  const html = String(page.body);
  t.notRegex(html, /https?:\/\//, 'nothing from elsewhere');
  t.notRegex(html, /<script(?![^>]*\bsrc=)/, 'no inline script');
  t.notRegex(html, /\son[a-z]+=/i, 'no inline event handler');
  t.deepEqual([...html.matchAll(/<option value="([^"]+)"/g)].map((match) => match[1]), GAME_IDS, 'every game of the registry is offered');

  const script = await fetch(`${origin}/verify/verify.js`);
  t.is(script.status, 200);
  t.regex(script.headers.get('content-type') ?? '', /^text\/javascript/);
  t.regex(await script.text(), /crypto\.subtle\.importKey\('raw'/);
  const css = await fetch(`${origin}/verify/verify.css`);
  t.is(css.status, 200);
  t.regex(css.headers.get('content-type') ?? '', /^text\/css/);
  await css.arrayBuffer();
});

test.serial('the browser computes every dice vector’s roll, the same as /fairness/verify, and the seed matches its hash', async (t) => {
  const watched = await openVerifyPage(t);
  if (!watched) return;
  for (const vector of VECTORS) {
    await watched.page.goto(`${origin}/verify`, { timeout: BROWSER_TIMEOUT_MS });
    const shown = await checkRound(watched, { game: 'dice', ...vector, serverSeedHash: hashOf(vector.serverSeed) });
    const expected = { roll: vector.rollHundredths / 100 };
    const label = `${vector.clientSeed}:${vector.nonce}`;
    t.deepEqual(shown.browserOutcome, expected, label);
    t.deepEqual(shown.serverOutcome, expected, label);
    t.is(shown.outcomeVerdict, 'match', label);
    t.is(shown.seedHash, hashOf(vector.serverSeed), label);
    t.is(shown.hashVerdict, 'match', label);
  }
  assertClean(t, watched);
});

test.serial('the browser computes every lucky-dice vector’s face and win, the same as /fairness/verify', async (t) => {
  const watched = await openVerifyPage(t);
  if (!watched) return;
  for (const vector of LUCKY_DICE_VECTORS) {
    await watched.page.goto(`${origin}/verify`, { timeout: BROWSER_TIMEOUT_MS });
    const shown = await checkRound(watched, { game: 'lucky-dice', ...vector, serverSeedHash: SEED_A_HASH });
    const expected = { face: vector.face, win: vector.face === 6 };
    t.deepEqual(shown.browserOutcome, expected, `nonce ${vector.nonce}`);
    t.deepEqual(shown.serverOutcome, expected, `nonce ${vector.nonce}`);
    t.is(shown.outcomeVerdict, 'match');
    t.is(shown.hashVerdict, 'match');
  }
  assertClean(t, watched);
});

test.serial('a server seed that is not the committed one shows a hash mismatch', async (t) => {
  const watched = await openVerifyPage(t);
  if (!watched) return;
  const vector = VECTORS.find((v) => v.serverSeed === SEED_B)!;
  const shown = await checkRound(watched, { game: 'dice', ...vector, serverSeedHash: SEED_A_HASH });
  t.is(shown.seedHash, SEED_B_HASH);
  t.is(shown.hashVerdict, 'mismatch');
  t.regex(shown.hashVerdictText, /DOES NOT MATCH/);
  t.deepEqual(shown.browserOutcome, { roll: vector.rollHundredths / 100 }, 'the outcome is still computed');
  assertClean(t, watched);
});

test.serial('the outcome is computed in the browser: a server answering another outcome is shown as different', async (t) => {
  const watched = await openVerifyPage(t);
  if (!watched) return;
  const vector = VECTORS[0]!;
  await watched.page.route('**/fairness/verify?*', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ outcome: { roll: 12.34 } }) }),
  );
  const shown = await checkRound(watched, { game: 'dice', ...vector, serverSeedHash: SEED_A_HASH });
  t.deepEqual(shown.browserOutcome, { roll: vector.rollHundredths / 100 });
  t.deepEqual(shown.serverOutcome, { roll: 12.34 });
  t.is(shown.outcomeVerdict, 'mismatch');
  assertClean(t, watched);
});

test.serial('every game of the registry is offered and its outcome computed by the page, as the server computes it', async (t) => {
  const watched = await openVerifyPage(t);
  if (!watched) return;
  const offered = await watched.page.locator('#game option').evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
  t.deepEqual(offered, GAME_IDS);
  for (const game of GAME_IDS) {
    await watched.page.goto(`${origin}/verify`, { timeout: BROWSER_TIMEOUT_MS });
    const shown = await checkRound(watched, { game, serverSeed: SEED_B, serverSeedHash: SEED_B_HASH, clientSeed: 'every game', nonce: 7 });
    t.truthy(shown.browserOutcome, `the page knows ${game}'s rule (docs/games.md)`);
    t.is(shown.outcomeVerdict, 'match', game);
  }
  assertClean(t, watched);
});

test.serial('a round pasted as GET /rounds/:id gives it fills the form and is checked once revealed; before, the page refuses it', async (t) => {
  const watched = await openVerifyPage(t);
  if (!watched) return;
  const { page } = watched;
  const operator = await createOperator(cluster.nodes[0]!);
  const client = operator.client(cluster.nodes[0]!.url);
  const session = await launch(client, 'player-verify-page');
  const placed = await client.post('/bets', { sessionToken: session, amount: 100, game: 'lucky-dice', params: {} }, { headers: { 'idempotency-key': randomUUID() } });
  t.true(placed.status === 201 || placed.status === 202, JSON.stringify(placed.body));
  const bet = await waitForBet(client, placed.body.id);
  const roundAnswer = () => client.get(`/rounds/${bet.roundId}`);

  await page.click('summary');
  await page.fill('#round-json', JSON.stringify((await roundAnswer()).body));
  await page.click('#fill-from-round');
  t.regex(await page.locator('#round-json-error').innerText(), /not revealed yet/);
  t.true(await page.locator('#results').isHidden());

  t.is((await client.post(`/sessions/${session}/seeds/rotate`, {})).status, 200);
  const round = (await roundAnswer()).body;
  t.is(typeof round.fairness.serverSeed, 'string');
  await page.fill('#round-json', JSON.stringify(round));
  await page.click('#fill-from-round');
  const shown = await shownResults(watched);
  t.is(await page.locator('#game').inputValue(), 'lucky-dice');
  t.is(await page.locator('#client-seed').inputValue(), round.fairness.clientSeed);
  t.deepEqual(shown.browserOutcome, round.outcome, 'the browser finds the outcome the round recorded');
  t.is(shown.outcomeVerdict, 'match');
  t.is(shown.hashVerdict, 'match');
  t.is(shown.seedHash, round.fairness.serverSeedHash);
  assertClean(t, watched);
});

test.serial('a round linked with its values in the address is filled in and checked at once', async (t) => {
  const watched = await openVerifyPage(t);
  if (!watched) return;
  const vector = VECTORS[2]!;
  const query = new URLSearchParams({
    game: 'dice',
    serverSeed: vector.serverSeed,
    serverSeedHash: SEED_A_HASH,
    clientSeed: vector.clientSeed,
    nonce: String(vector.nonce),
  });
  await watched.page.goto(`${origin}/verify?${query}`, { timeout: BROWSER_TIMEOUT_MS });
  const shown = await shownResults(watched);
  t.deepEqual(shown.browserOutcome, { roll: vector.rollHundredths / 100 });
  t.is(shown.outcomeVerdict, 'match');
  t.is(shown.hashVerdict, 'match');

  await watched.page.goto(`${origin}/verify?game=no-such-game&serverSeed=${vector.serverSeed}&clientSeed=x&nonce=1`, { timeout: BROWSER_TIMEOUT_MS });
  t.is(await watched.page.locator('#server-seed').inputValue(), vector.serverSeed, 'what fits is filled in');
  t.true(await watched.page.locator('#results').isHidden(), 'a game this server does not have is not checked');
  assertClean(t, watched);
});
