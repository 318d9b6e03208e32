import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch } from './support/bets.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

// SPEC §7 webhooks, the first attempt: the node that relays an event sends its webhook
// itself, right after the relay's commit, and only a retry goes through the queue. The
// cluster starts with no queue worker at all (RGS_ROLES=api), so what reaches the receiver
// was sent by the relaying node. Its node sends at most two first attempts at once, so
// that a burst of events goes over that bound.

const SECRET = 'whsec-first-attempt-0123456789';

let cluster: TestCluster;
let db: Db;
const receivers: WebhookReceiver[] = [];

test.before(async () => {
  cluster = await startCluster({
    nodes: 1,
    nodeEnv: { RGS_ROLES: 'api', WEBHOOK_FIRST_ATTEMPTS_IN_FLIGHT: '2', WEBHOOK_TIMEOUT_MS: '1500', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_MAX_MS: '200', SWEEP_INTERVAL_MS: '300' },
  });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await cluster?.stop();
});

async function setup() {
  const receiver = await startWebhookReceiver({ secret: SECRET });
  receivers.push(receiver);
  const operator = await createOperator(cluster.nodes[0]!, { webhookUrl: receiver.url, webhookSecret: SECRET });
  return { receiver, operator, client: operator.client() };
}

async function deliveries(operatorId: string) {
  const { rows } = await db.query<{ event_id: string; status: string; attempts: number; last_status_code: number | null }>(
    'SELECT event_id, status, attempts, last_status_code FROM webhook_deliveries WHERE operator_id = $1 ORDER BY created_at, id',
    [operatorId],
  );
  return rows;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test.serial('with no queue worker anywhere, the relaying node delivers each event once, signed, at the first attempt', async (t) => {
  const { receiver, operator, client } = await setup();
  const players = ['p1', 'p2', 'p3', 'p4', 'p5'];
  await Promise.all(players.map((player) => launch(client, player)));

  const rows = await until(
    () => deliveries(operator.id),
    (found) => found.length === players.length && found.every((row) => row.status === 'delivered'),
    'deliveries never all delivered',
  );
  t.true(rows.every((row) => row.attempts === 1 && row.last_status_code === 200));
  const accepted = rows.map((row) => receiver.acceptedFor(row.event_id));
  t.true(accepted.every((requests) => requests.length === 1), 'each event was POSTed once');
  t.true(accepted.flat().every((request) => request.verified), 'every POST is signed');
  t.deepEqual(accepted.flat().map((request) => JSON.parse(request.rawBody).data.playerId).sort(), players);
});

test.serial('a burst over the in-flight bound waits in the node and is still sent at the first attempt, not through the queue', async (t) => {
  const { receiver, operator, client } = await setup();
  receiver.setDelayMs(150);
  const players = Array.from({ length: 12 }, (_, index) => `burst-${index}`);
  await Promise.all(players.map((player) => launch(client, player)));

  // With two sends at once and 150 ms each, the last of the burst waits about a second:
  // well inside the grace before a delivery would be left to the queue (no worker here).
  const rows = await until(
    () => deliveries(operator.id),
    (found) => found.length === players.length && found.every((row) => row.status === 'delivered'),
    'the burst was never all delivered',
  );
  t.true(rows.every((row) => row.attempts === 1 && row.last_status_code === 200));
  t.true(rows.every((row) => receiver.acceptedFor(row.event_id).length === 1), 'each event was POSTed once');
});

test.serial('a first attempt the receiver refuses is recorded and retried through the queue, by whichever node runs workers', async (t) => {
  const { receiver, operator, client } = await setup();
  receiver.failFirst(1);
  await launch(client, 'refused-once');

  // The relaying node made the attempt and recorded it; the retry waits for a worker.
  const [failed] = await until(
    () => deliveries(operator.id),
    (found) => found.length === 1 && found[0]!.attempts === 1,
    'the first attempt was never recorded',
  );
  t.like(failed, { status: 'pending', attempts: 1, last_status_code: 500 });

  await cluster.addNode('worker', { RGS_ROLES: 'workers' });
  const [delivered] = await until(
    () => deliveries(operator.id),
    (found) => found[0]?.status === 'delivered',
    'the retry never delivered',
  );
  t.like(delivered, { status: 'delivered', attempts: 2, last_status_code: 200 });
  t.deepEqual(
    receiver.received.filter((request) => request.headers['x-rgs-event-id'] === delivered!.event_id).map((request) => request.status),
    [500, 200],
  );
});
