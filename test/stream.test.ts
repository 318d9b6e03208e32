import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import type { RunningProcess } from './support/process.ts';
import { clientListOf, connectTestRedis } from './support/redis.ts';
import type { RedisClient } from '../src/shared/redis.ts';
import { streamKey as productStreamKey } from '../src/modules/events/stream-append.ts';
import { request } from './support/http.ts';
import { openSse, type SseClient, type SseOptions } from './support/sse-client.ts';

// SPEC §7 SSE. Until events flow through real bets here, entries are appended to the
// operator's Redis Stream exactly as the relay writes them: one `event` field holding
// the event's JSON, under `${REDIS_PREFIX}stream:{op:${operatorId}}`.

let cluster: TestCluster;
let redis: RedisClient;

test.before(async () => {
  // The 1,000-client test below needs more than the default 100 streams of one operator (test/stream-bounds.test.ts tests the caps).
  cluster = await startCluster({ nodes: 2, nodeEnv: { SSE_MAX_CLIENTS_PER_OPERATOR: '1000' } });
  redis = connectTestRedis();
});

test.after.always(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

const nodeA = () => cluster.nodes[0]!.url;
const nodeB = () => cluster.nodes[1]!.url;
const streamKey = (operatorId: string) => `${cluster.redisPrefix}${productStreamKey(operatorId)}`;

interface TestEvent {
  id: string;
  type: string;
  operatorId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

function event(operatorId: string, overrides: { type?: string; playerId?: string; data?: Record<string, unknown> } = {}): TestEvent {
  return {
    id: randomUUID(),
    type: overrides.type ?? 'bet.placed',
    operatorId,
    occurredAt: new Date().toISOString(),
    data: { betId: randomUUID(), playerId: overrides.playerId ?? 'player-1', ...overrides.data },
  };
}

const events = (operatorId: string, count: number) => Array.from({ length: count }, (_, n) => event(operatorId, { data: { n } }));

/** Appends events as the relay does; resolves their entry ids, in order. */
async function append(operatorId: string, items: TestEvent[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const item of items) pipeline.xadd(streamKey(operatorId), '*', 'event', JSON.stringify(item));
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, id]) => {
    if (error) throw error;
    return id as string;
  });
}

/** Opens a stream and closes it when the test ends. */
async function connect(t: { teardown(fn: () => void): void }, url: string, options: SseOptions): Promise<SseClient> {
  const client = await openSse(url, options);
  t.teardown(() => client.close());
  return client;
}

const ids = (client: SseClient) => client.messages.map((message) => message.id);
const has = (id: string) => (client: SseClient) => client.messages.some((message) => message.id === id);

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

/**
 * Redis connections of this file's nodes that read the operator's stream; `reading`: only
 * those whose last command was XREAD (on a cluster a reader's client also holds idle
 * connections to the other masters).
 */
async function readerConnections(operatorId: string, reading = false): Promise<number> {
  return (await clientListOf(redis))
    .filter(({ line }) => !reading || / cmd=xread /.test(line))
    .map(({ line }) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
    .filter((name) => name.includes(cluster.redisPrefix) && name.includes('sse-reader') && name.includes(operatorId)).length;
}

async function metric(node: RunningProcess, line: string): Promise<number> {
  const text = await (await fetch(`${adminUrlOf(node)}/metrics`)).text();
  const found = text.split('\n').find((each) => each.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

test('a connected client receives appended entries live, as well-formed frames', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const client = await connect(t, nodeA(), { apiKey: operator.apiKey });
  t.is(client.status, 200);
  t.is(client.headers['content-type'], 'text/event-stream');
  t.is(client.headers['cache-control'], 'no-cache, no-transform');
  t.is(client.headers.connection, 'keep-alive');
  t.is(client.headers['x-accel-buffering'], 'no');
  await client.until((c) => c.retries.length > 0);

  const sent = [event(operator.id, { type: 'bet.placed' }), event(operator.id, { type: 'wallet.debited' }), event(operator.id, { type: 'bet.won' })];
  const entryIds = await append(operator.id, sent);
  await client.until(has(entryIds[2]!));

  t.true(client.raw.startsWith('retry: 3000\n\n'), 'the reconnection hint comes first');
  for (const [index, item] of sent.entries()) {
    t.true(client.raw.includes(`id: ${entryIds[index]}\nevent: ${item.type}\ndata: ${JSON.stringify(item)}\n\n`));
  }
  t.deepEqual(
    client.messages.map((message) => ({ id: message.id, event: message.event, data: JSON.parse(message.data) })),
    sent.map((item, index) => ({ id: entryIds[index], event: item.type, data: item })),
  );
});

const resumesOnAnotherNode = test.macro(async (t, via: 'header' | 'query') => {
  const operator = await createOperator(cluster.nodes[0]!);
  const prefilled = await append(operator.id, events(operator.id, 2_000));
  const resumePoints = [0, 499, 1_000, 1_498, 1_999];

  // Entries keep arriving while the clients reconnect and replay.
  const adding = (async () => {
    const added: string[] = [];
    for (let batch = 0; batch < 100; batch++) {
      added.push(...(await append(operator.id, events(operator.id, 5))));
      await sleep(5);
    }
    return added;
  })();
  const clients = await Promise.all(
    resumePoints.map((index) => {
      const lastEventId = prefilled[index]!;
      return connect(t, nodeB(), via === 'header' ? { apiKey: operator.apiKey, lastEventId } : { apiKey: operator.apiKey, query: { lastEventId } });
    }),
  );
  const added = await adding;
  t.is(added.length, 500);

  for (const [position, client] of clients.entries()) {
    const expected = [...prefilled.slice(resumePoints[position]! + 1), ...added];
    await client.until(has(added.at(-1)!), 20_000);
    t.deepEqual(ids(client), expected, `resumed after entry ${resumePoints[position]}`);
  }
});

test('resuming on another node with Last-Event-ID replays after it then continues live, while entries keep arriving', resumesOnAnotherNode, 'header');
test('resuming with the lastEventId query works the same', resumesOnAnotherNode, 'query');

test('the Last-Event-ID header wins over the lastEventId query', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const entryIds = await append(operator.id, events(operator.id, 3));
  const client = await connect(t, nodeB(), { apiKey: operator.apiKey, lastEventId: entryIds[0]!, query: { lastEventId: 'not-an-id' } });
  await client.until(has(entryIds[2]!));
  t.deepEqual(ids(client), entryIds.slice(1));
});

test('an id older than the retained history gets stream.reset, then live; from the last deleted id on, history is whole', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const entryIds = await append(operator.id, events(operator.id, 200));
  // XTRIM the oldest 100, then delete the next 50 one by one as the relay trims (XDEL).
  await redis.xtrim(streamKey(operator.id), 'MAXLEN', 100);
  await redis.xdel(streamKey(operator.id), ...entryIds.slice(100, 150));

  const clients = await Promise.all(
    [10, 99, 120, 149].map((index) => connect(t, index % 2 ? nodeA() : nodeB(), { apiKey: operator.apiKey, lastEventId: entryIds[index]! })),
  );
  const whole = clients.pop()!;
  for (const client of clients) {
    await client.until((c) => c.messages.length > 0);
    t.like(client.messages[0], { id: undefined, event: 'stream.reset' });
    t.deepEqual(JSON.parse(client.messages[0]!.data), { reason: 'retention' });
  }
  const [live] = await append(operator.id, [event(operator.id)]);
  for (const client of clients) {
    await client.until(has(live!));
    t.deepEqual(ids(client), [undefined, live], 'after the reset, only live entries');
  }
  await whole.until(has(live!));
  t.deepEqual(ids(whole), [...entryIds.slice(150), live]);
});

test('a stream Redis lost (gone, or started over) gets stream.reset, then live', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const before = await append(operator.id, events(operator.id, 10));
  await redis.del(streamKey(operator.id));

  const gone = await connect(t, nodeB(), { apiKey: operator.apiKey, lastEventId: before[9]! });
  await gone.until((c) => c.messages.length > 0);
  const [afterLoss] = await append(operator.id, [event(operator.id)]);
  await gone.until(has(afterLoss!));
  t.deepEqual(ids(gone), [undefined, afterLoss]);
  t.like(gone.messages[0], { event: 'stream.reset', data: '{"reason":"retention"}' });

  // The stream exists again with new ids; an id from before the loss was never in it.
  const startedOver = await connect(t, nodeA(), { apiKey: operator.apiKey, lastEventId: before[5]! });
  await startedOver.until((c) => c.messages.length > 0);
  const [next] = await append(operator.id, [event(operator.id)]);
  await startedOver.until(has(next!));
  t.deepEqual(ids(startedOver), [undefined, next]);
  t.like(startedOver.messages[0], { event: 'stream.reset', data: '{"reason":"retention"}' });
});

test('a live client is told stream.reset when Redis loses its stream mid-connection', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const client = await connect(t, nodeA(), { apiKey: operator.apiKey });
  const [before] = await append(operator.id, [event(operator.id)]);
  await client.until(has(before!));
  await redis.del(streamKey(operator.id));
  // An idle reader re-checks its stream at each XREAD timeout (5 s by default).
  await client.until((c) => c.messages.length > 1, 15_000);
  t.like(client.messages[1], { id: undefined, event: 'stream.reset', data: '{"reason":"retention"}' });
  const [after] = await append(operator.id, [event(operator.id)]);
  await client.until(has(after!));
  t.deepEqual(ids(client), [before, undefined, after]);
});

test('a Last-Event-ID that is not a stream id gets 200 and stream.reset, then live', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  await append(operator.id, events(operator.id, 3));
  const garbage = ['garbage', '1-2-3', '-1', '18446744073709551616-0', '9'.repeat(300), '12-ab'];
  const clients = await Promise.all([
    ...garbage.map((lastEventId) => connect(t, nodeA(), { apiKey: operator.apiKey, lastEventId })),
    connect(t, nodeB(), { apiKey: operator.apiKey, query: { lastEventId: 'garbage' } }),
  ]);
  for (const client of clients) {
    t.is(client.status, 200);
    await client.until((c) => c.messages.length > 0);
  }
  const [live] = await append(operator.id, [event(operator.id)]);
  for (const client of clients) {
    await client.until(has(live!));
    t.deepEqual(ids(client), [undefined, live]);
    t.like(client.messages[0], { event: 'stream.reset', data: '{"reason":"invalid_last_event_id"}' });
  }
});

test('types= and playerId= filter replayed and live entries; filtered-out ids are not sent', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const [start] = await append(operator.id, [event(operator.id, { type: 'session.launched' })]);
  const make = (type: string, playerId: string) => event(operator.id, { type, playerId });
  const replayed = [make('bet.placed', 'alice'), make('wallet.debited', 'alice'), make('bet.won', 'bob'), make('wallet.credited', 'bob')];
  const live = [make('session.launched', 'alice'), make('bet.lost', 'alice'), make('wallet.debited', 'bob'), make('bet.won', 'alice')];
  const replayedIds = await append(operator.id, replayed);

  const filters: { query: Record<string, string>; keeps: (item: TestEvent) => boolean }[] = [
    { query: { types: 'bet.*' }, keeps: (item) => item.type.startsWith('bet.') },
    { query: { types: 'bet.won,wallet.debited' }, keeps: (item) => ['bet.won', 'wallet.debited'].includes(item.type) },
    { query: { playerId: 'alice' }, keeps: (item) => item.data.playerId === 'alice' },
    { query: { types: 'wallet.*,bet.won', playerId: 'alice' }, keeps: (item) => item.data.playerId === 'alice' && /^(wallet\..*|bet\.won)$/.test(item.type) },
  ];
  const clients = await Promise.all(filters.map(({ query }) => connect(t, nodeB(), { apiKey: operator.apiKey, lastEventId: start!, query })));
  const liveIds = await append(operator.id, live);
  const all = [...replayed, ...live];
  const allIds = [...replayedIds, ...liveIds];

  for (const [index, { query, keeps }] of filters.entries()) {
    const client = clients[index]!;
    await client.until(has(liveIds.at(-1)!)); // the last entry passes every filter
    const expected = all.flatMap((item, position) => (keeps(item) ? [{ id: allIds[position], event: item.type, data: item }] : []));
    t.deepEqual(
      client.messages.map((message) => ({ id: message.id, event: message.event, data: JSON.parse(message.data) })),
      expected,
      JSON.stringify(query),
    );
  }
});

test('a malformed types or playerId query is 400 VALIDATION_FAILED', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const bad = [
    'types=BET.*',
    'types=bet.won,',
    'types=',
    'types=*',
    'types=bet.won;wallet.debited',
    `types=${Array.from({ length: 51 }, () => 'bet.won').join(',')}`,
    'playerId=',
    'playerId=%00',
    'operatorId=someone-else',
  ];
  for (const query of bad) {
    const answer = await request('GET', `${nodeA()}/stream?${query}`, { headers: { 'x-operator-key': operator.apiKey } });
    t.is(answer.status, 400, query);
    t.is(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8', query);
    t.is(answer.body.code, 'VALIDATION_FAILED', query);
  }
});

test('an idle stream gets heartbeat comments', async (t) => {
  const node = await cluster.addNode('node-heartbeat', { SSE_HEARTBEAT_MS: '200' });
  const operator = await createOperator(node);
  const client = await connect(t, node.url, { apiKey: operator.apiKey });
  await client.until((c) => c.comments.filter((comment) => comment === 'heartbeat').length >= 3);
  t.true(client.raw.includes(': heartbeat\n\n'));
  t.deepEqual(client.messages, []);
});

test('1,000 clients of one operator on one node share one Redis reader, which stops when they leave', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const agent = new http.Agent({ maxSockets: Infinity });
  t.teardown(() => agent.destroy());
  const clients: SseClient[] = [];
  for (let wave = 0; wave < 4; wave++) {
    clients.push(...(await Promise.all(Array.from({ length: 250 }, () => connect(t, nodeA(), { apiKey: operator.apiKey, agent })))));
  }
  t.true(clients.every((client) => client.status === 200));
  // One connection reading the stream (waited for: a reader is briefly between reads after each idle timeout).
  await waitFor(async () => (await readerConnections(operator.id, true)) === 1);

  const [id] = await append(operator.id, [event(operator.id)]);
  await Promise.all(clients.map((client) => client.until(has(id!), 20_000)));
  t.true(clients.every((client) => ids(client).length === 1));

  for (const client of clients) client.close();
  await waitFor(async () => (await readerConnections(operator.id)) === 0);
  t.pass();
});

test('a client that stops reading is dropped with stream.end and freed', async (t) => {
  const node = await cluster.addNode('node-slow', { SSE_MAX_BACKLOG_BYTES: '65536' });
  const operator = await createOperator(node);
  const client = await connect(t, node.url, { apiKey: operator.apiKey });
  await client.until((c) => c.retries.length > 0);
  t.is(await metric(node, 'rgs_sse_clients'), 1);
  client.pause();

  const padding = 'x'.repeat(64 * 1024);
  const dropped = () => metric(node, 'rgs_sse_clients_dropped_total{reason="slow_consumer"}');
  for (let round = 0; round < 60 && (await dropped()) === 0; round++) {
    await append(operator.id, Array.from({ length: 20 }, () => event(operator.id, { data: { padding } })));
  }
  t.is(await dropped(), 1);

  client.resume();
  await client.until((c) => c.done, 20_000);
  t.like(client.messages.at(-1), { id: undefined, event: 'stream.end', data: '{"reason":"slow_consumer"}' });
  await waitFor(async () => (await metric(node, 'rgs_sse_clients')) === 0);
  await waitFor(async () => (await readerConnections(operator.id)) === 0);
  t.is(await metric(node, 'rgs_sse_readers'), 0);
});

test('a reader whose Redis connection is cut reconnects; its clients stay connected and miss nothing', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const client = await connect(t, nodeA(), { apiKey: operator.apiKey });
  const [first] = await append(operator.id, [event(operator.id)]);
  await client.until(has(first!));

  const reader = (await clientListOf(redis)).find(({ line }) => line.includes(`name=${cluster.redisPrefix}sse-reader:${operator.id}`) && /cmd=xread/.test(line));
  const readerId = reader?.line.match(/(?:^| )id=(\d+)/)?.[1];
  t.truthy(readerId);
  // On the server it reads from (on a cluster, the master of the operator's slot).
  await reader!.server.client('KILL', 'ID', readerId!);
  const afterCut = await append(operator.id, events(operator.id, 5));

  await client.until(has(afterCut[4]!), 20_000);
  t.false(client.done);
  t.deepEqual(ids(client), [first, ...afterCut]);
});

test("another operator's stream never reaches a client; the operator comes from the key", async (t) => {
  const a = await createOperator(cluster.nodes[0]!);
  const b = await createOperator(cluster.nodes[0]!);
  const clientA = await connect(t, nodeA(), { apiKey: a.apiKey });
  const clientB = await connect(t, nodeA(), { apiKey: b.apiKey });
  const [forA] = await append(a.id, [event(a.id)]);
  const [forB] = await append(b.id, [event(b.id)]);
  await clientA.until(has(forA!));
  await clientB.until(has(forB!));
  t.deepEqual(ids(clientA), [forA]);
  t.deepEqual(ids(clientB), [forB]);

  // Replaying "from the beginning" reads the key's own operator's stream only.
  const replayB = await connect(t, nodeB(), { apiKey: b.apiKey, lastEventId: '0-0' });
  await replayB.until(has(forB!));
  t.deepEqual(ids(replayB), [forB]);
});

test('GET /stream without a key, or with a wrong one, is 401 problem+json', async (t) => {
  for (const apiKey of [undefined, 'not-a-key']) {
    const client = await openSse(nodeA(), { apiKey });
    t.is(client.status, 401);
    t.is(client.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.is(client.body.code, 'UNAUTHORIZED');
  }
});

test('SIGTERM ends open streams with a retry hint and the node exits cleanly', async (t) => {
  const node = await cluster.addNode('node-shutdown');
  const operator = await createOperator(node);
  const client = await connect(t, node.url, { apiKey: operator.apiKey });
  await client.until((c) => c.retries.length > 0);
  const exited = node.stop('SIGTERM');
  await client.until((c) => c.done, 15_000);
  t.deepEqual(client.retries, [3000, 3000]);
  t.true(client.raw.endsWith('retry: 3000\n\n'));
  t.is(await exited, 0);
});
