import { randomUUID } from 'node:crypto';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch } from './support/bets.ts';
import { request } from './support/http.ts';
import { REDIS_TARGET } from './support/redis.ts';
import { startWebhookReceiver, verifyStripeStyle, type WebhookReceiver } from './support/webhook-receiver.ts';
import { signWebhook } from '../src/modules/webhooks/signing.ts';
import { createDeliveries, enqueueDeliveries } from '../src/modules/webhooks/deliveries.ts';
import { createEnqueuer, type Enqueuer } from '../queues/enqueue.ts';

// SPEC §7 webhooks: every event is POSTed to the operator's webhook URL with Stripe's
// signature scheme, retried with backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` and
// visible for redelivery. Each test has a receiver (and operator) of its own.

const SECRET = 'whsec-test-secret-0123456789';
const MAX_ATTEMPTS = 3;

let cluster: TestCluster;
let db: Db;
let enqueuer: Enqueuer;
const receivers: WebhookReceiver[] = [];

test.before(async () => {
  cluster = await startCluster({
    nodes: 2,
    nodeEnv: {
      // Generous enough that a receiver on a loaded CI machine answers in time; the slow
      // receiver test waits well past it.
      WEBHOOK_TIMEOUT_MS: '1500',
      WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '200',
      SWEEP_INTERVAL_MS: '300',
    },
  });
  db = await openDb(cluster.database.url, 4);
  enqueuer = createEnqueuer({ redis: REDIS_TARGET, redisPrefix: cluster.redisPrefix, partitions: 1 });
});

test.after.always(async () => {
  await enqueuer?.close();
  await db?.end();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await cluster?.stop();
});

/** A receiver of its own and an operator whose webhook points at it. */
async function setup(options: { secret?: string | null } = {}) {
  const secret = options.secret === undefined ? SECRET : options.secret;
  const receiver = await startWebhookReceiver(secret === null ? {} : { secret });
  receivers.push(receiver);
  const operator = await createOperator(cluster.nodes[0]!, { webhookUrl: receiver.url, ...(secret !== null && { webhookSecret: secret }) });
  return { receiver, operator, client: operator.client(), other: operator.client(cluster.nodes[1]!.url) };
}

/**
 * A committed event, already relayed to SSE (so the relay leaves it alone): what a node
 * leaves behind when it dies after the relay's commit. It takes txid 1, which sorts below
 * every real transaction, and the relay cursor is moved past it if it is not already.
 */
async function insertEvent(operatorId: string, type = 'bet.placed') {
  const id = randomUUID();
  const data = { betId: randomUUID(), playerId: 'player-1', amount: 1_000 };
  // Milliseconds, as a Date keeps them: the delivery names its event by (operator, id, time).
  const occurredAt = new Date();
  await db.query(
    `WITH e AS (INSERT INTO events (id, operator_id, type, player_id, data, txid, occurred_at) VALUES ($1, $2, $3, 'player-1', $4, '1', $5) RETURNING seq)
     UPDATE event_relay_cursor c SET txid = '1', seq = e.seq FROM e WHERE (c.txid, c.seq) < ('1'::xid8, e.seq)`,
    [
    id,
    operatorId,
    type,
    JSON.stringify(data),
    occurredAt,
  ]);
  return { id, data, occurredAt };
}

/** The relay's path from the test process: deliveries created in a transaction, enqueued after commit. */
async function createAndEnqueue(events: { id: string; operatorId: string; occurredAt: Date }[]): Promise<string[]> {
  const ids = (await createDeliveries(db, events.map(relayed))).map((delivery) => delivery.id);
  await enqueueDeliveries(enqueuer, ids, { warn: () => undefined });
  return ids;
}

/** An event as the relay hands it to `createDeliveries` (the JSON is not read there). */
function relayed(event: { id: string; operatorId: string; occurredAt: Date }) {
  return { ...event, json: JSON.stringify({ id: event.id, operatorId: event.operatorId }) };
}

async function deliveryRow(id: string) {
  return (await db.query('SELECT status, attempts, last_status_code, last_error FROM webhook_deliveries WHERE id = $1', [id])).rows[0];
}

async function waitForDelivery(client: { get: (path: string) => Promise<{ body: any }> }, id: string, status: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const page = await client.get(`/webhooks/deliveries?status=${status}&limit=200`);
    const found = page.body.items.find((item: { id: string }) => item.id === id);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`delivery ${id} never became ${status}: ${JSON.stringify(await deliveryRow(id))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('signWebhook is HMAC-SHA256 over "t.body" in hex (openssl vector) and passes a Stripe-style verifier', (t) => {
  const body = '{"id":"evt_1","type":"bet.placed"}';
  // printf '%s' '1700000000.{"id":"evt_1","type":"bet.placed"}' | openssl dgst -sha256 -hmac 'whsec_test_secret_0123456789'
  const header = signWebhook('whsec_test_secret_0123456789', 1_700_000_000, body);
  t.is(header, 't=1700000000,v1=a36752b2b3ae95d1ed7df05ae80d6e4abe017c5da0d587fda30a2ccbb44dc09c');
  t.like(verifyStripeStyle('whsec_test_secret_0123456789', header, body, { nowSeconds: 1_700_000_100 }), { ok: true, t: 1_700_000_000 });
  t.false(verifyStripeStyle('whsec_test_secret_0123456789', header, `${body} `, { nowSeconds: 1_700_000_100 }).ok, 'a changed body fails');
  t.false(verifyStripeStyle('another-secret-0123456789', header, body, { nowSeconds: 1_700_000_100 }).ok, 'another secret fails');
  t.false(verifyStripeStyle('whsec_test_secret_0123456789', header, body, { nowSeconds: 1_700_000_301 }).ok, 't older than 300 s is rejected');
});

test('a pending delivery whose job was lost is swept and delivered: signed, with the event as its exact body', async (t) => {
  const { receiver, operator, client } = await setup();
  const event = await insertEvent(operator.id);
  const deliveryId = randomUUID();
  // As if the node died between the relay's commit and the enqueue: no job, attempt overdue.
  await db.query(
    "INSERT INTO webhook_deliveries (id, operator_id, event_id, event_occurred_at, next_attempt_at) VALUES ($1, $2, $3, $4, now() - interval '1 second')",
    [deliveryId, operator.id, event.id, event.occurredAt],
  );

  const [got] = await receiver.waitFor(() => receiver.acceptedFor(event.id).length > 0).then(() => receiver.acceptedFor(event.id));
  t.is(got!.headers['content-type'], 'application/json');
  t.is(got!.headers['x-rgs-event-id'], event.id);
  t.true(got!.verified, 'X-RGS-Signature verifies with the operator secret');
  t.regex(String(got!.headers['x-rgs-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
  // The body is the event as stored (jsonb orders data's keys its own way), byte for byte what was signed.
  const stored = (await db.query('SELECT occurred_at, data FROM events WHERE id = $1', [event.id])).rows[0];
  t.is(got!.rawBody, JSON.stringify({ id: event.id, type: 'bet.placed', operatorId: operator.id, occurredAt: stored.occurred_at.toISOString(), data: stored.data }));
  t.deepEqual(JSON.parse(got!.rawBody).data, event.data);

  const delivered = await waitForDelivery(client, deliveryId, 'delivered');
  t.like(delivered, { eventId: event.id, eventType: 'bet.placed', status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
  t.truthy(delivered.deliveredAt);
  t.true(
    cluster.nodes.some((node) => node.logs.some((line) => line.includes('webhook sweeper re-enqueued overdue deliveries'))),
    'the webhook sweeper found it',
  );
});

test('a launched session reaches the operator webhook through the event relay', async (t) => {
  const { receiver, operator, client } = await setup();
  await launch(client, 'relayed-player');
  await receiver.waitFor((received) => received.some((request) => request.status === 200 && request.rawBody.includes('"session.launched"')));
  const got = receiver.received.find((request) => request.rawBody.includes('"session.launched"'))!;
  const event = JSON.parse(got.rawBody);
  t.like(event, { type: 'session.launched', operatorId: operator.id });
  t.true(got.verified);
  t.is(got.headers['x-rgs-event-id'], event.id);
  // The receiver answers before the node records the result: read the listing until it has.
  const listed = await client.get('/webhooks/deliveries');
  const delivery = listed.body.items.find((item: { eventId: string }) => item.eventId === event.id);
  t.like(await waitForDelivery(client, delivery.id, 'delivered'), { eventType: 'session.launched', status: 'delivered' });
});

test('a receiver failing the first attempts gets the event, signed, once it recovers', async (t) => {
  const { receiver, operator, other } = await setup();
  receiver.failFirst(MAX_ATTEMPTS - 1);
  const event = await insertEvent(operator.id, 'bet.won');
  const [deliveryId] = await createAndEnqueue([{ id: event.id, operatorId: operator.id, occurredAt: event.occurredAt }]);
  t.truthy(deliveryId);

  const delivered = await waitForDelivery(other, deliveryId!, 'delivered');
  t.like(delivered, { attempts: MAX_ATTEMPTS, lastStatusCode: 200, lastError: null });
  const requests = receiver.received.filter((request) => request.headers['x-rgs-event-id'] === event.id);
  t.deepEqual(requests.map((request) => request.status), [...Array<number>(MAX_ATTEMPTS - 1).fill(500), 200]);
  t.true(requests.every((request) => request.verified), 'every attempt is signed');
});

test('a receiver that never recovers: failed after WEBHOOK_MAX_ATTEMPTS, listed as failed, and redelivery sends it', async (t) => {
  const { receiver, operator, client, other } = await setup();
  receiver.alwaysFail(true);
  const event = await insertEvent(operator.id, 'bet.lost');
  const [deliveryId] = await createAndEnqueue([{ id: event.id, operatorId: operator.id, occurredAt: event.occurredAt }]);

  const failed = await waitForDelivery(client, deliveryId!, 'failed');
  t.like(failed, { status: 'failed', attempts: MAX_ATTEMPTS, lastStatusCode: 500, lastError: 'receiver answered 500', nextAttemptAt: null, deliveredAt: null });
  t.is(receiver.received.filter((request) => request.headers['x-rgs-event-id'] === event.id).length, MAX_ATTEMPTS, 'no attempt after the bound');
  const metrics = await Promise.all(cluster.nodes.map((node) => request('GET', `${adminUrlOf(node)}/metrics`)));
  t.true(metrics.some((answer) => /rgs_webhook_deliveries_total\{result="failed"\} [1-9]/.test(answer.body)));

  receiver.alwaysFail(false);
  const redelivered = await other.post(`/webhooks/deliveries/${deliveryId}/redeliver`);
  t.is(redelivered.status, 202);
  t.like(redelivered.body, { id: deliveryId, eventId: event.id, status: 'pending', attempts: 0, lastError: null, lastStatusCode: null });
  const delivered = await waitForDelivery(client, deliveryId!, 'delivered');
  t.like(delivered, { attempts: 1, lastStatusCode: 200 });
  t.is(receiver.acceptedFor(event.id).length, 1);

  // A delivered one may be redelivered too: receivers dedupe by event id.
  t.is((await client.post(`/webhooks/deliveries/${deliveryId}/redeliver`)).status, 202);
  await receiver.waitFor(() => receiver.acceptedFor(event.id).length === 2);
  t.pass();
});

test('a receiver slower than WEBHOOK_TIMEOUT_MS counts as a failed attempt', async (t) => {
  const { receiver, operator, client } = await setup();
  receiver.setDelayMs(2_500);
  const event = await insertEvent(operator.id);
  const [deliveryId] = await createAndEnqueue([{ id: event.id, operatorId: operator.id, occurredAt: event.occurredAt }]);
  const failed = await waitForDelivery(client, deliveryId!, 'failed');
  t.like(failed, { attempts: MAX_ATTEMPTS, lastStatusCode: null });
  t.regex(failed.lastError, /timed out/);
});

test('an operator with a webhook URL but no secret gets unsigned webhooks, and each node warns once', async (t) => {
  const { receiver, operator } = await setup({ secret: null });
  const events = [await insertEvent(operator.id), await insertEvent(operator.id)];
  await createAndEnqueue(events.map((event) => ({ id: event.id, operatorId: operator.id, occurredAt: event.occurredAt })));
  await receiver.waitFor(() => events.every((event) => receiver.acceptedFor(event.id).length > 0));
  t.true(receiver.received.every((request) => request.headers['x-rgs-signature'] === undefined));
  const warnings = cluster.nodes.map((node) => node.logs.filter((line) => line.includes('no webhook secret') && line.includes(operator.id)).length);
  t.true(warnings.some((count) => count === 1) && warnings.every((count) => count <= 1), `warnings per node: ${warnings}`);
  t.false(
    cluster.nodes.some((node) => node.logs.some((line) => line.includes(SECRET))),
    'no secret in any log line',
  );
});

test('createDeliveries makes one delivery per event of operators with a webhook URL, once', async (t) => {
  const withHook = await setup();
  const without = await createOperator(cluster.nodes[0]!);
  const hooked = await insertEvent(withHook.operator.id);
  const unhooked = await insertEvent(without.id);

  const hookedEvent = relayed({ id: hooked.id, operatorId: withHook.operator.id, occurredAt: hooked.occurredAt });
  const created = await createDeliveries(db, [hookedEvent, relayed({ id: unhooked.id, operatorId: without.id, occurredAt: unhooked.occurredAt })]);
  t.is(created.length, 1);
  t.deepEqual(created[0]?.event, hookedEvent, 'each delivery comes back with the event it sends');
  const rows = (await db.query('SELECT id, operator_id, event_id, status, attempts FROM webhook_deliveries WHERE event_id = ANY($1)', [[hooked.id, unhooked.id]])).rows;
  t.deepEqual(rows, [{ id: created[0]?.id, operator_id: withHook.operator.id, event_id: hooked.id, status: 'pending', attempts: 0 }]);
  t.deepEqual(await createDeliveries(db, [hookedEvent]), [], 'a repeated relay creates nothing');
  t.deepEqual(await createDeliveries(db, []), []);
});

test('deliveries are scoped to their operator and paginated newest first', async (t) => {
  const a = await setup();
  const b = await createOperator(cluster.nodes[0]!);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const event = await insertEvent(a.operator.id);
    const id = randomUUID();
    ids.push(id);
    await db.query(
      `INSERT INTO webhook_deliveries (id, operator_id, event_id, event_occurred_at, status, attempts, delivered_at, created_at)
       VALUES ($1, $2, $3, $5, 'delivered', 1, now(), now() - $4 * interval '1 second')`,
      [id, a.operator.id, event.id, 10 - i, event.occurredAt],
    );
  }
  const first = await a.client.get('/webhooks/deliveries?limit=2');
  t.is(first.status, 200);
  t.deepEqual(first.body.items.map((item: { id: string }) => item.id), [ids[2], ids[1]]);
  t.truthy(first.body.nextCursor);
  const second = await a.client.get(`/webhooks/deliveries?limit=2&cursor=${first.body.nextCursor}`);
  t.deepEqual(second.body.items.map((item: { id: string }) => item.id), [ids[0]]);
  t.is(second.body.nextCursor, null);
  t.is((await a.client.get('/webhooks/deliveries?status=failed')).body.items.length, 0);

  const bClient = b.client();
  t.deepEqual((await bClient.get('/webhooks/deliveries')).body, { items: [], nextCursor: null });
  const stolen = await bClient.post(`/webhooks/deliveries/${ids[0]}/redeliver`);
  t.is(stolen.status, 404);
  t.is(stolen.body.code, 'NOT_FOUND');
  t.is((await deliveryRow(ids[0]!)).status, 'delivered', "another operator's redelivery changed nothing");
});

test('bad queries and ids are 400 problems; unknown deliveries 404; no key 401', async (t) => {
  const { client } = await setup();
  for (const query of ['status=bogus', 'limit=0', 'limit=201', 'cursor=!!!', 'cursor=abc', 'unknown=1']) {
    const answer = await client.get(`/webhooks/deliveries?${query}`);
    t.is(answer.status, 400, query);
    t.is(answer.body.code, 'VALIDATION_FAILED', query);
  }
  t.is((await client.post('/webhooks/deliveries/not-a-uuid/redeliver')).status, 400);
  t.is((await client.post(`/webhooks/deliveries/${randomUUID()}/redeliver`, { force: true })).status, 400);
  t.is((await client.post(`/webhooks/deliveries/${randomUUID()}/redeliver`)).status, 404);
  t.is((await request('GET', `${cluster.nodes[0]!.url}/webhooks/deliveries`)).status, 401);
});
