import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch, placeBet } from './support/bets.ts';
import { openSse, type SseMessage } from './support/sse-client.ts';
import { startWebhookReceiver } from './support/webhook-receiver.ts';
import { connectTestRedis } from './support/redis.ts';
import type { RedisClient } from '../src/shared/redis.ts';
import { streamKey } from '../src/modules/events/stream-append.ts';
import { waitForRelay } from './support/wait.ts';

// SPEC §7/§10.3: every committed event is delivered by webhook at least once and
// appears once in the SSE stream, in stream order, whichever nodes the client
// reconnects through — also when a node dies right after its commits.

const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';
let cluster: TestCluster;
let db: Db;
let redis: RedisClient;

test.before(async () => {
  cluster = await startCluster({ nodes: 2, nodeEnv: { RELAY_INTERVAL_MS: '300', SWEEP_INTERVAL_MS: '500', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_RETRY_MAX_MS: '500' } });
  db = await openDb(cluster.database.url, 4);
  redis = connectTestRedis();
});

test.after.always(async () => {
  redis?.disconnect();
  await db?.end();
  await cluster?.stop();
});

const compareIds = (a: string, b: string) => {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
};

/** The stream entry ids of the operator's committed events, in stream order, once all are relayed. */
async function committedStreamIds(operatorId: string): Promise<string[]> {
  await waitForRelay(db, operatorId);
  const eventIds = new Set((await db.query('SELECT id FROM events WHERE operator_id = $1', [operatorId])).rows.map((row) => row.id as string));
  const entries = await redis.xrange(`${cluster.redisPrefix}${streamKey(operatorId)}`, '-', '+');
  const relayed = entries.filter(([, fields]) => eventIds.has((JSON.parse(fields[1]!) as { id: string }).id));
  if (relayed.length !== eventIds.size) throw new Error(`${eventIds.size} events committed, ${relayed.length} entries in the stream`);
  return relayed.map(([id]) => id);
}

test('a client that reconnects to another node mid-run with its last id receives every event once, in order', async (t) => {
  const receiver = await startWebhookReceiver({ secret: WEBHOOK_SECRET });
  t.teardown(() => receiver.close());
  const operator = await createOperator(cluster.nodes[0]!, { webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET });
  const first = await openSse(cluster.nodes[0]!.url, { apiKey: operator.apiKey });
  t.is(first.status, 200);

  const sessions = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((player) => launch(operator.client(), player)));
  let flowing = true;
  const flow = (async () => {
    let i = 0;
    while (flowing) {
      const node = cluster.nodes[i % 2]!;
      await Promise.all(sessions.map((session) => placeBet(operator.client(node.url), session, 100, { target: 50, direction: i % 2 ? 'over' : 'under' })));
      i++;
    }
  })();

  await first.until((client) => client.messages.length >= 40, 20_000);
  first.close();
  const seenByFirst: SseMessage[] = [...first.messages];
  const second = await openSse(cluster.nodes[1]!.url, { apiKey: operator.apiKey, lastEventId: first.lastEventId });
  t.is(second.status, 200);
  await second.until((client) => client.messages.length >= 40, 20_000);
  flowing = false;
  await flow;

  const committed = await committedStreamIds(operator.id);
  await second.until((client) => client.lastEventId === committed[committed.length - 1], 20_000);
  second.close();

  const received = [...seenByFirst, ...second.messages].map((message) => message.id!);
  t.is(new Set(received).size, received.length, 'no duplicate across the seam');
  t.deepEqual(received, committed, 'every committed event, in stream order, no gap');
  t.deepEqual([...received].sort(compareIds), received, 'ids increase');
  t.false(second.messages.some((message) => message.event === 'stream.reset'));

  // Every event was also pushed to the webhook receiver with a valid signature.
  const eventIds = (await db.query('SELECT id FROM events WHERE operator_id = $1', [operator.id])).rows.map((row) => row.id);
  await receiver.waitFor((all) => eventIds.every((id) => all.some((hook) => hook.headers['x-rgs-event-id'] === id && hook.status < 300)), 30_000);
  t.true(receiver.received.filter((hook) => hook.status < 300).every((hook) => hook.verified));
});

test('events of bets committed by a node SIGKILLed right after reach SSE clients and the webhook receiver', async (t) => {
  const receiver = await startWebhookReceiver({ secret: WEBHOOK_SECRET });
  t.teardown(() => receiver.close());
  const operator = await createOperator(cluster.nodes[0]!, { webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET });
  const watcher = await openSse(cluster.nodes[0]!.url, { apiKey: operator.apiKey });
  const victim = await cluster.addNode('doomed-node', { RELAY_INTERVAL_MS: '60000', RGS_ROLES: 'api' });
  const session = await launch(operator.client(victim.url), 'last-words');
  const bets = await Promise.all(Array.from({ length: 8 }, () => placeBet(operator.client(victim.url), session, 100, { target: 50, direction: 'under' })));
  await victim.stop('SIGKILL');
  t.true(bets.every((bet) => bet.status === 201));

  const committed = await committedStreamIds(operator.id);
  await watcher.until((client) => committed.every((id) => client.messages.some((message) => message.id === id)), 20_000);
  watcher.close();
  const betIds = new Set(bets.map((bet) => bet.body.id));
  const betEvents = watcher.messages.filter((message) => betIds.has(JSON.parse(message.data).data.betId));
  t.true(betEvents.length >= 8 * 3, 'round.created, bet.placed and the settlement of each bet');
  const eventIds = (await db.query('SELECT id FROM events WHERE operator_id = $1', [operator.id])).rows.map((row) => row.id);
  await receiver.waitFor((all) => eventIds.every((id) => all.some((hook) => hook.headers['x-rgs-event-id'] === id && hook.status < 300)), 30_000);
  t.pass();
});
