import { randomBytes, randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { appRoutes, type RouteEntry } from './support/app-routes.ts';
import { startCluster, startWalletMock, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';
import { request, type HttpAnswer } from './support/http.ts';
import type { RunningProcess } from './support/process.ts';
import { openSse, type SseClient } from './support/sse-client.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';
import { authOf } from './fuzz/catalog.ts';

// SPEC §3/§10.5: one operator can never read or change another's data, events or queue
// items. Operator A owns real things of every kind — a session, a lost bet, a won bet
// whose credit waits in the outbox, rounds, wallet transactions, events, webhook
// deliveries, limits. Operator B then aims every route of the app's route table at A's
// ids, reads every list, the SSE stream and its webhooks, and must find nothing of A, while
// nothing of A changes. The tables below are checked against the route table, so a new
// route that takes an id or returns a list fails this file until it is covered here.

const WEBHOOK_SECRET_A = 'whsec-operator-a-0123456789';
const WEBHOOK_SECRET_B = 'whsec-operator-b-0123456789';

interface OwnedByA {
  sessionToken: string;
  playerId: string;
  pendingBetId: string;
  roundId: string;
  deliveryId: string;
}

type Operator = Awaited<ReturnType<typeof createOperator>>;

/** How B aims a route with path parameters at A's things; `admin` and `public` routes hold no operator's data. */
type IdRoute =
  | { scope: 'operator'; params: (a: OwnedByA) => Record<string, string>; body?: unknown }
  | { scope: 'admin' }
  | { scope: 'public' };

const ID_ROUTES: Record<string, IdRoute> = {
  'GET /sessions/:token': { scope: 'operator', params: (a) => ({ token: a.sessionToken }) },
  'POST /sessions/:token/revoke': { scope: 'operator', params: (a) => ({ token: a.sessionToken }) },
  'POST /sessions/:token/seeds/rotate': { scope: 'operator', params: (a) => ({ token: a.sessionToken }), body: { clientSeed: 'b-chose-this' } },
  'GET /bets/:id': { scope: 'operator', params: (a) => ({ id: a.pendingBetId }) },
  'GET /rounds/:id': { scope: 'operator', params: (a) => ({ id: a.roundId }) },
  'GET /players/:playerId/rounds': { scope: 'operator', params: (a) => ({ playerId: a.playerId }) },
  'POST /outbox/:id/retry': { scope: 'operator', params: (a) => ({ id: a.pendingBetId }) },
  'POST /webhooks/deliveries/:id/redeliver': { scope: 'operator', params: (a) => ({ id: a.deliveryId }) },
  // Operators are managed by the platform's admin, never by an operator's key.
  'GET /admin/operators/:id': { scope: 'admin' },
  'PATCH /admin/operators/:id': { scope: 'admin' },
  'POST /admin/operators/:id/keys/rotate': { scope: 'admin' },
  // The API documentation's static assets.
  'GET /docs/:asset': { scope: 'public' },
};

/** Every operator GET without path parameters: a list (read in full as B), or something else B reads of its own. */
const OPERATOR_READS: Record<string, 'list' | 'own limits' | 'own games' | 'sse'> = {
  '/bets': 'list',
  '/transactions': 'list',
  '/audit': 'list',
  '/outbox': 'list',
  '/webhooks/deliveries': 'list',
  '/limits': 'own limits',
  '/games': 'own games',
  '/stream': 'sse',
};

/** The lists that take path parameters, read as B with B's own values. */
const PARAM_LISTS: Record<string, (b: { playerId: string }) => string> = {
  'GET /players/:playerId/rounds': (b) => `/players/${encodeURIComponent(b.playerId)}/rounds`,
};

let cluster: TestCluster;
let db: Db;
let walletA: RunningProcess;
let receiverA: WebhookReceiver;
let receiverB: WebhookReceiver;
let a: Operator;
let b: Operator;
let ownedByA: OwnedByA;
let bPlayer: string;
let bSession: string;
let bBetId: string;
const routes: RouteEntry[] = appRoutes();
const node = (index: number) => cluster.nodes[index % cluster.nodes.length]!.url;
const routeKey = (route: RouteEntry) => `${route.method} ${route.path}`;

/** Every string that identifies something of A: none may appear in anything B reads. */
let secretsOfA: string[] = [];

/** A's rows in every table that has an operator_id (and A's operators row), counted and hashed. */
async function stateOfA(): Promise<Record<string, string>> {
  const { rows: tables } = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'operator_id' ORDER BY table_name",
  );
  const state: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const { rows } = await db.query(`SELECT count(*)::int AS n, coalesce(sum(hashtextextended(t::text, 0)), 0)::text AS h FROM "${table}" t WHERE operator_id = $1`, [a.id]);
    state[table] = `${rows[0].n} rows, hash ${rows[0].h}`;
  }
  const { rows } = await db.query('SELECT hashtextextended(o::text, 0)::text AS h FROM operators o WHERE id = $1', [a.id]);
  state.operators = rows[0].h;
  return state;
}

/**
 * A's state once nothing of A is moving: events relayed, webhooks delivered, and the next
 * retry of A's deferred credit (a minute or more apart) well ahead — so a difference
 * between two snapshots taken around B's requests can only come from those requests.
 */
async function quietStateOfA(): Promise<Record<string, string>> {
  await waitUntil(async () => {
    const { rows } = await db.query<{ quiet: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM unrelayed_events WHERE operator_id = $1)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE operator_id = $1 AND status <> 'delivered')
          AND NOT EXISTS (SELECT 1 FROM bets WHERE operator_id = $1 AND status = 'credit_pending' AND next_attempt_at < now() + interval '30 seconds') AS quiet`,
      [a.id],
    );
    return rows[0]?.quiet === true;
  }, "A's rows are at rest", 110_000);
  return stateOfA();
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test.before(async () => {
  // Credit retries a minute apart: A's deferred credit stays put while B pokes at it.
  cluster = await startCluster({ nodes: 2, nodeEnv: { BET_RETRY_BASE_MS: '60000', BET_RETRY_MAX_MS: '3600000', WALLET_TIMEOUT_MS: '1000' } });
  db = await openDb(cluster.database.url, 4);
  walletA = await startWalletMock();
  receiverA = await startWebhookReceiver({ secret: WEBHOOK_SECRET_A });
  receiverB = await startWebhookReceiver({ secret: WEBHOOK_SECRET_B });
  a = await createOperator(cluster.nodes[0]!, { walletUrl: walletA.url, walletSecret: TEST_WALLET_SECRET, webhookUrl: receiverA.url, webhookSecret: WEBHOOK_SECRET_A });
  b = await createOperator(cluster.nodes[0]!, { webhookUrl: receiverB.url, webhookSecret: WEBHOOK_SECRET_B });

  // A: a session, limits, a lost bet, and a won bet whose credit the wallet refuses (outbox).
  const aPlayer = `a-player-${randomBytes(4).toString('hex')}`;
  const aClient = a.client(node(0));
  const sessionToken = await launch(aClient, aPlayer);
  const limits = await aClient.put('/limits', { blockedJurisdictions: ['KP'], currencies: { EUR: { maxBet: 777_777 } } });
  if (limits.status !== 200) throw new Error(`limits not set: ${limits.status}`);
  const lost = await placeBet(aClient, sessionToken, 100, await paramsFor(db, a.id, aPlayer, 'lose'));
  await waitForBet(aClient, lost.body.id);
  await setFaults(walletA.url, { credit: { errorRate: 1 } });
  const won = await placeBet(aClient, sessionToken, 100, await paramsFor(db, a.id, aPlayer, 'win'));
  const pending = await waitForBet(aClient, won.body.id, new Set(['credit_pending']));

  // B: a player and a bet of its own, so B's lists are not empty by accident.
  bPlayer = `b-player-${randomBytes(4).toString('hex')}`;
  bSession = await launch(b.client(node(1)), bPlayer);
  const bBet = await placeBet(b.client(node(1)), bSession, 100, await paramsFor(db, b.id, bPlayer, 'lose'));
  bBetId = (await waitForBet(b.client(node(1)), bBet.body.id)).id;

  // Every event relayed and every webhook delivered: from here on A's rows stay as they are.
  await waitUntil(async () => {
    const { rows } = await db.query<{ open: number }>(
      `SELECT (SELECT count(*) FROM unrelayed_events) + (SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered') AS open`,
    );
    return Number(rows[0]?.open) === 0;
  }, 'events are relayed and webhooks delivered');
  const deliveries = await aClient.get('/webhooks/deliveries?limit=1');
  ownedByA = { sessionToken, playerId: aPlayer, pendingBetId: pending.id, roundId: pending.roundId, deliveryId: deliveries.body.items[0].id };

  const ids = await db.query<{ id: string }>(
    `SELECT id::text FROM bets WHERE operator_id = $1 UNION ALL SELECT round_id::text FROM bets WHERE operator_id = $1
     UNION ALL SELECT id FROM wallet_transactions WHERE operator_id = $1 UNION ALL SELECT id::text FROM events WHERE operator_id = $1
     UNION ALL SELECT id::text FROM webhook_deliveries WHERE operator_id = $1`,
    [a.id],
  );
  secretsOfA = [a.id, a.apiKey, a.name, sessionToken, aPlayer, ...ids.rows.map((row) => row.id)];
});

test.after.always(async () => {
  await db?.end();
  await Promise.all([receiverA?.close(), receiverB?.close(), walletA?.stop('SIGKILL')]);
  await cluster?.stop();
});

function leaksOfA(text: string): string[] {
  return secretsOfA.filter((secret) => text.includes(secret));
}

const withParams = (path: string, params: Record<string, string>) =>
  path.replace(/:(\w+)/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${path}`);
    return encodeURIComponent(value);
  });

test('every route with a path parameter is in the isolation map, and every operator read is classified', (t) => {
  const withIds = routes.filter((route) => route.path.includes(':')).map(routeKey);
  t.deepEqual(
    withIds.filter((key) => !(key in ID_ROUTES)),
    [],
    'routes with ids that the isolation map does not cover: add how B aims them at A',
  );
  t.deepEqual(
    Object.keys(ID_ROUTES).filter((key) => !withIds.includes(key)),
    [],
    'isolation map entries for routes the app no longer has',
  );
  const reads = routes.filter((route) => route.method === 'GET' && !route.path.includes(':') && authOf(route) === 'operator').map((route) => route.path);
  t.deepEqual(
    reads.filter((path) => !(path in OPERATOR_READS)),
    [],
    'operator GET routes this test does not read as B: classify them (a list is read in full)',
  );
  for (const [key, entry] of Object.entries(ID_ROUTES)) {
    const route = routes.find((candidate) => routeKey(candidate) === key);
    if (route) t.is(entry.scope, authOf(route) === 'operator' ? 'operator' : authOf(route), `${key} is ${authOf(route)}`);
  }
});

async function expectNotFound(t: ExecutionContext, what: string, answer: { status: number; headers: Headers; body: any }) {
  t.is(answer.status, 404, `${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  t.true(answer.headers.get('content-type')?.startsWith('application/problem+json'), what);
  t.is(answer.body?.code, 'NOT_FOUND', what);
  t.deepEqual(leaksOfA(JSON.stringify(answer.body)), [], `${what} names nothing of A`);
}

test.serial("B aiming every id route at A's ids gets 404 problem+json, and nothing of A changes", async (t) => {
  t.timeout(150_000);
  const before = await quietStateOfA();
  let index = 0;
  for (const route of routes.filter((candidate) => candidate.path.includes(':'))) {
    const entry = ID_ROUTES[routeKey(route)];
    if (entry?.scope !== 'operator') continue;
    const path = withParams(route.path, entry.params(ownedByA));
    const body = route.method === 'GET' ? undefined : (entry.body ?? {});
    const answer = await request(route.method, node(index++) + path, { headers: { 'x-operator-key': b.apiKey }, body });
    await expectNotFound(t, `B ${route.method} ${path}`, answer);
  }

  // An operator key opens no admin route (operators are the platform's), however it is
  // presented, even on the admin listener (on the public port those paths do not exist).
  for (const route of routes.filter((candidate) => authOf(candidate) === 'admin')) {
    const path = withParams(route.path, { id: a.id });
    const presented: Record<string, string>[] = [{ 'x-operator-key': b.apiKey }, { authorization: `Bearer ${b.apiKey}` }];
    for (const headers of presented) {
      const answer = await request(route.method, adminUrlOf(cluster.nodes[index++ % cluster.nodes.length]!) + path, { headers, body: route.method === 'GET' ? undefined : {} });
      t.is(answer.status, 401, `${routeKey(route)} with B's key`);
      t.deepEqual(leaksOfA(JSON.stringify(answer.body)), []);
    }
  }

  // Ids carried in a body or a filter are scoped too.
  const bClient = b.client(node(1));
  const bet = await placeBet(bClient, ownedByA.sessionToken, 100, { target: 50, direction: 'over' });
  await expectNotFound(t, "B betting on A's session", bet);
  for (const path of [
    `/bets?playerId=${ownedByA.playerId}`,
    `/transactions?roundId=${ownedByA.roundId}`,
    `/transactions?playerId=${ownedByA.playerId}`,
    `/audit?playerId=${ownedByA.playerId}`,
  ]) {
    const answer = await bClient.get(path);
    t.is(answer.status, 200, path);
    t.deepEqual(answer.body.items, [], `${path} finds nothing of A`);
  }
  // B replacing its own limits leaves A's alone.
  t.is((await bClient.put('/limits', { blockedJurisdictions: ['US'], currencies: { EUR: { maxBet: 5 } } })).status, 200);

  t.deepEqual(await stateOfA(), before, "none of A's rows changed");
  t.deepEqual((await a.client(node(0)).get('/limits')).body, { blockedJurisdictions: ['KP'], currencies: { EUR: { maxBet: 777_777 } } });
});

/** Every page of a list, as B. */
async function readAll(path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const answer: HttpAnswer = await b.client(node(pages)).get(`${path}${separator}limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    if (answer.status !== 200 || !Array.isArray(answer.body.items)) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    items.push(answer.body);
    cursor = answer.body.nextCursor;
    pages++;
  } while (cursor);
  return items;
}

test.serial("B's lists and limits show B's own data and nothing of A's", async (t) => {
  const lists = routes.filter((route) => OPERATOR_READS[route.path] === 'list' && route.method === 'GET').map((route) => route.path);
  t.deepEqual(lists.sort(), Object.entries(OPERATOR_READS).filter(([, kind]) => kind === 'list').map(([path]) => path).sort(), 'every classified list is served');
  const seen: Record<string, string> = {};
  for (const path of lists) seen[path] = JSON.stringify(await readAll(path));
  for (const [key, pathFor] of Object.entries(PARAM_LISTS)) {
    t.true(routes.some((route) => routeKey(route) === key), `${key} is served`);
    seen[key] = JSON.stringify(await readAll(pathFor({ playerId: bPlayer })));
  }
  for (const [path, text] of Object.entries(seen)) t.deepEqual(leaksOfA(text), [], `${path} shows nothing of A`);
  // Each list does list something: B's own bet, its wallet calls, its audit trail, its deliveries.
  t.true(seen['/bets']!.includes(bBetId));
  t.true(seen['/transactions']!.includes(`${bBetId}:debit`));
  t.true(seen['/audit']!.includes(bPlayer));
  t.true(seen['/webhooks/deliveries']!.includes('bet.lost'));
  t.true(seen['GET /players/:playerId/rounds']!.includes(bBetId));
  t.false(seen['/outbox']!.includes(ownedByA.pendingBetId));
  const outbox = await b.client(node(0)).get('/outbox');
  t.is(outbox.body.pendingCount, 0, "A's deferred credit is not counted for B");

  // Every non-list operator read (SSE is checked on its own below).
  for (const [path, kind] of Object.entries(OPERATOR_READS)) {
    if (kind !== 'own limits' && kind !== 'own games') continue;
    const answer = await b.client(node(1)).get(path);
    t.is(answer.status, 200, path);
    t.deepEqual(leaksOfA(JSON.stringify(answer.body)), [], path);
    if (kind === 'own limits') t.false(JSON.stringify(answer.body).includes('777777'), "A's limits are not B's");
  }
});

test.serial("B's SSE stream and webhooks carry B's events only, replayed from the start or from one of A's ids", async (t) => {
  const streams: SseClient[] = [];
  try {
    const fromStart = await openSse(node(1), { apiKey: b.apiKey, lastEventId: '0-0' });
    streams.push(fromStart);
    const aFromStart = await openSse(node(0), { apiKey: a.apiKey, lastEventId: '0-0' });
    streams.push(aFromStart);
    await aFromStart.until((client) => client.messages.length > 0, 10_000);
    const fromAsId = await openSse(node(0), { apiKey: b.apiKey, lastEventId: aFromStart.messages[0]!.id });
    streams.push(fromAsId);
    const live = await openSse(node(0), { apiKey: b.apiKey });
    streams.push(live);
    const aLive = await openSse(node(1), { apiKey: a.apiKey });
    streams.push(aLive);

    // A acts first, and its event reaches A's own stream (so it has been fanned out) …
    const aNewcomer = `a-newcomer-${randomUUID()}`;
    secretsOfA.push(aNewcomer);
    await launch(a.client(node(0)), aNewcomer);
    await aLive.until((client) => client.messages.some((message) => message.data.includes(aNewcomer)), 15_000);
    // … then B does; once B's marker is in B's streams and webhooks, anything of A would be too.
    const marker = `b-marker-${randomUUID()}`;
    await launch(b.client(node(1)), marker);
    for (const stream of [fromStart, fromAsId, live]) {
      await stream.until((client) => client.messages.some((message) => message.data.includes(marker)), 15_000);
    }
    await receiverB.waitFor((received) => received.some((hook) => hook.rawBody.includes(marker)));

    for (const [name, stream] of [['from the start', fromStart], ["from A's id", fromAsId], ['live', live]] as const) {
      t.deepEqual(leaksOfA(stream.raw), [], `B's stream ${name} shows nothing of A`);
      t.true(stream.messages.length > 0);
      for (const message of stream.messages) {
        if (message.event === 'stream.reset') continue;
        t.is(JSON.parse(message.data).operatorId, b.id, `B's stream ${name}: ${message.event}`);
      }
    }
    t.true(fromStart.messages.some((message) => message.data.includes(bBetId)), "the replay holds B's earlier bet");
    t.true(receiverB.received.length > 0);
    for (const hook of receiverB.received) {
      t.true(hook.verified, "signed with B's secret");
      t.is(JSON.parse(hook.rawBody).operatorId, b.id);
      t.deepEqual(leaksOfA(hook.rawBody), [], "B's webhooks carry nothing of A");
    }
    t.false(receiverA.received.some((hook) => hook.rawBody.includes(marker)), "A's webhooks carry nothing of B");
  } finally {
    for (const stream of streams) stream.close();
  }
});

test.serial("A's ids are real: the same requests with A's own key are not 404", async (t) => {
  // Run last: some of these change A's state (a retry, a redelivery, a revoke).
  const ordered = routes
    .filter((route) => ID_ROUTES[routeKey(route)]?.scope === 'operator')
    .sort((x, y) => Number(x.path.endsWith('/revoke')) - Number(y.path.endsWith('/revoke')));
  for (const route of ordered) {
    const entry = ID_ROUTES[routeKey(route)];
    if (entry?.scope !== 'operator') continue;
    const path = withParams(route.path, entry.params(ownedByA));
    const answer = await request(route.method, node(0) + path, {
      headers: { 'x-operator-key': a.apiKey },
      body: route.method === 'GET' ? undefined : (entry.body ?? {}),
    });
    t.true(answer.status !== 404 && answer.status < 500, `A ${route.method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
});
