import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { connectTestRedis } from './support/redis.ts';
import type { RedisClient } from '../src/shared/redis.ts';
import { streamKey as productStreamKey } from '../src/modules/events/stream-append.ts';
import { openSse, type SseClient, type SseOptions } from './support/sse-client.ts';
import type { RunningProcess } from './support/process.ts';

// SPEC §7/§11: what one GET /stream may cost a node. Streams are capped per operator and
// per node (429 before the stream starts), a client that does not read is cut off once
// its unsent backlog passes SSE_MAX_BACKLOG_BYTES, and one request replays at most
// SSE_MAX_REPLAY entries. Each test starts a node with small bounds; entries are appended
// to the operator's Redis Stream as the relay writes them (test/stream.test.ts does the same).

let cluster: TestCluster;
let redis: RedisClient;

test.before(async () => {
  cluster = await startCluster({ nodes: 0 });
  redis = connectTestRedis();
});

test.after.always(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

const streamKey = (operatorId: string) => `${cluster.redisPrefix}${productStreamKey(operatorId)}`;

function event(operatorId: string, type = 'bet.placed', data: Record<string, unknown> = {}) {
  return { id: randomUUID(), type, operatorId, occurredAt: new Date().toISOString(), data: { betId: randomUUID(), playerId: 'player-1', ...data } };
}

/** Appends events as the relay does; resolves their entry ids, in order. */
async function append(operatorId: string, count: number, options: { type?: string; data?: Record<string, unknown> } = {}): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (let n = 0; n < count; n++) pipeline.xadd(streamKey(operatorId), '*', 'event', JSON.stringify(event(operatorId, options.type, options.data)));
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, id]) => {
    if (error) throw error;
    return id as string;
  });
}

async function connect(t: { teardown(fn: () => void): void }, url: string, options: SseOptions): Promise<SseClient> {
  const client = await openSse(url, options);
  t.teardown(() => client.close());
  return client;
}

/** The ids of the entries a client received (control frames carry none). */
const entryIds = (client: SseClient) => client.messages.flatMap((message) => (message.id === undefined ? [] : [message.id]));
const has = (id: string) => (client: SseClient) => client.messages.some((message) => message.id === id);

async function metric(node: RunningProcess, line: string): Promise<number> {
  const text = await (await fetch(`${adminUrlOf(node)}/metrics`)).text();
  const found = text.split('\n').find((each) => each.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

function assertTooManyStreams(t: { is(actual: unknown, expected: unknown, message?: string): void; true(value: boolean, message?: string): void }, client: SseClient) {
  t.is(client.status, 429);
  t.is(client.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.is(client.body.code, 'TOO_MANY_STREAMS');
  t.is(client.body.status, 429);
  t.true(Number(client.headers['retry-after']) >= 1, 'Retry-After');
  t.true(!client.raw.includes('retry:'), 'the stream never started');
}

test("an operator's stream past SSE_MAX_CLIENTS_PER_OPERATOR, or any past SSE_MAX_CLIENTS, is 429 problem+json before it starts", async (t) => {
  const node = await cluster.addNode('node-caps', { SSE_MAX_CLIENTS_PER_OPERATOR: '3', SSE_MAX_CLIENTS: '5' });
  const a = await createOperator(node);
  const b = await createOperator(node);
  const c = await createOperator(node);

  const streamsOfA = await Promise.all(Array.from({ length: 3 }, () => connect(t, node.url, { apiKey: a.apiKey })));
  t.true(streamsOfA.every((client) => client.status === 200));
  assertTooManyStreams(t, await connect(t, node.url, { apiKey: a.apiKey }));

  // Another operator still connects while A is at its cap, up to the node's cap.
  const streamsOfB = await Promise.all(Array.from({ length: 2 }, () => connect(t, node.url, { apiKey: b.apiKey })));
  t.true(streamsOfB.every((client) => client.status === 200));
  assertTooManyStreams(t, await connect(t, node.url, { apiKey: c.apiKey }));
  t.is(await metric(node, 'rgs_sse_clients_refused_total{reason="operator_cap"}'), 1);
  t.is(await metric(node, 'rgs_sse_clients_refused_total{reason="node_cap"}'), 1);

  // A stream that ends gives its place back; the streams that were refused cost nothing.
  streamsOfA[0]!.close();
  await waitFor(async () => (await metric(node, 'rgs_sse_clients')) === 4);
  const again = await connect(t, node.url, { apiKey: c.apiKey });
  t.is(again.status, 200);
  const [id] = await append(c.id, 1);
  await again.until(has(id!));
  t.deepEqual(entryIds(again), [id]);
});

test('a replay from 0-0 ends after SSE_MAX_REPLAY entries; reconnecting with the last id continues with no gap and no duplicate, then live', async (t) => {
  const node = await cluster.addNode('node-replay', { SSE_MAX_REPLAY: '50' });
  const operator = await createOperator(node);
  const history = await append(operator.id, 120);

  const received: string[] = [];
  let lastEventId = '0-0';
  for (const expected of [50, 50]) {
    const client = await connect(t, node.url, { apiKey: operator.apiKey, lastEventId });
    await client.until((c) => c.done);
    t.is(entryIds(client).length, expected);
    t.like(client.messages.at(-1), { id: undefined, event: 'stream.end', data: '{"reason":"replay_limit"}' });
    t.true(client.raw.endsWith('retry: 3000\n\n'), 'the end of the stream carries the reconnection hint');
    received.push(...entryIds(client));
    lastEventId = client.lastEventId!;
    t.is(lastEventId, received.at(-1)!);
  }
  t.is(await metric(node, 'rgs_sse_clients_dropped_total{reason="replay_limit"}'), 2);

  // The rest of the history is within the limit: this one goes live.
  const last = await connect(t, node.url, { apiKey: operator.apiKey, lastEventId });
  await last.until(has(history.at(-1)!));
  const [live] = await append(operator.id, 1);
  await last.until(has(live!));
  t.false(last.done);
  received.push(...entryIds(last));
  t.deepEqual(received, [...history, live]);
});

test("a filtered replay past the limit moves the client's Last-Event-ID over the entries its filter skipped", async (t) => {
  const node = await cluster.addNode('node-filtered-replay', { SSE_MAX_REPLAY: '50' });
  const operator = await createOperator(node);
  const skipped = await append(operator.id, 120, { type: 'bet.placed' });
  const [won] = await append(operator.id, 1, { type: 'bet.won' });

  const positions: string[] = [];
  let lastEventId = '0-0';
  for (let request = 0; request < 2; request++) {
    const client = await connect(t, node.url, { apiKey: operator.apiKey, lastEventId, query: { types: 'bet.won' } });
    await client.until((c) => c.done);
    t.deepEqual(entryIds(client), [], 'nothing matched in this stretch');
    t.like(client.messages.at(-1), { event: 'stream.end', data: '{"reason":"replay_limit"}' });
    lastEventId = client.lastEventId!;
    positions.push(lastEventId);
  }
  t.deepEqual(positions, [skipped[49], skipped[99]]);

  const last = await connect(t, node.url, { apiKey: operator.apiKey, lastEventId, query: { types: 'bet.won' } });
  await last.until(has(won!));
  t.deepEqual(entryIds(last), [won]);
  t.false(last.done);
});

/**
 * A node of its own with this backlog bound (SSE_CLIENT_BUFFER at its maximum, so the byte
 * bound is the one that counts), an operator, and two of its streams: one that stopped
 * reading after its first frame, and one that reads.
 */
async function stalledBesideReader(t: ExecutionContext, name: string, maxBacklogBytes: string) {
  const node = await cluster.addNode(name, { SSE_MAX_BACKLOG_BYTES: maxBacklogBytes, SSE_CLIENT_BUFFER: '100000' });
  const operator = await createOperator(node);
  const stalled = await connect(t, node.url, { apiKey: operator.apiKey });
  const reader = await connect(t, node.url, { apiKey: operator.apiKey });
  await stalled.until((c) => c.retries.length > 0);
  stalled.pause();
  return { node, operator, stalled, reader };
}

test('a client that never reads is closed once its unsent backlog passes SSE_MAX_BACKLOG_BYTES; the others keep receiving, and it resumes with nothing lost', async (t) => {
  const { node, operator, stalled, reader } = await stalledBesideReader(t, 'node-backlog', '65536');

  // The kernel's socket buffers take a few MB first; past them, 64 KiB of backlog ends the stream.
  const padding = 'x'.repeat(64 * 1024);
  const appended: string[] = [];
  const dropped = () => metric(node, 'rgs_sse_clients_dropped_total{reason="slow_consumer"}');
  for (let round = 0; round < 60 && (await dropped()) === 0; round++) {
    appended.push(...(await append(operator.id, 20, { data: { padding } })));
    await reader.until(has(appended.at(-1)!), 20_000);
  }
  t.is(await dropped(), 1);
  await waitFor(async () => (await metric(node, 'rgs_sse_clients')) === 1);

  appended.push(...(await append(operator.id, 1)));
  await reader.until(has(appended.at(-1)!));
  t.false(reader.done);
  t.deepEqual(entryIds(reader), appended);

  stalled.resume();
  await stalled.until((c) => c.done, 20_000);
  t.like(stalled.messages.at(-1), { id: undefined, event: 'stream.end', data: '{"reason":"slow_consumer"}' });
  const before = entryIds(stalled);
  t.deepEqual(before, appended.slice(0, before.length), 'what it got is a prefix of the stream');
  const resumed = await connect(t, node.url, { apiKey: operator.apiKey, lastEventId: stalled.lastEventId! });
  await resumed.until(has(appended.at(-1)!), 20_000);
  t.deepEqual([...before, ...entryIds(resumed)], appended);
});

test('SIGTERM cuts a stream whose client does not read, whatever its backlog: the others get their last hint and the node exits 0 within its HTTP budget', async (t) => {
  // A bound far above what is appended: the stalled stream is still open, with a backlog, when the signal comes.
  const { node, operator, stalled, reader } = await stalledBesideReader(t, 'node-backlog-shutdown', String(512 * 1024 * 1024));

  // ~20 MB: past the kernel's socket buffers on both sides, so the node holds the rest.
  const padding = 'x'.repeat(64 * 1024);
  const appended: string[] = [];
  for (let round = 0; round < 16; round++) {
    appended.push(...(await append(operator.id, 20, { data: { padding } })));
    await reader.until(has(appended.at(-1)!), 20_000);
  }
  t.is(await metric(node, 'rgs_sse_clients'), 2, 'the stalled stream is still open');

  const exited = node.stop('SIGTERM');
  await reader.until((c) => c.done, 15_000);
  t.deepEqual(reader.retries, [3000, 3000], 'a reading client gets the last hint');
  t.is(await exited, 0);
  t.false(
    node.logs.some((line) => line.includes('connections still open after the HTTP budget')),
    'the stream was cut by the hub, not left for the HTTP budget to cut',
  );

  stalled.resume();
  await stalled.until((c) => c.done, 20_000);
  t.deepEqual(stalled.retries, [3000], 'no last hint was queued behind the backlog');
  const received = entryIds(stalled);
  t.true(received.length < appended.length);
  t.deepEqual(received, appended.slice(0, received.length), 'what it got is a prefix of the stream: it resumes from its Last-Event-ID');
});
