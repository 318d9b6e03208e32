import test from 'ava';
import { connectTestRedis, createRedisPrefix } from '../../../test/support/redis.ts';
import { appendEvents, defineAppendEvents, streamKey, type StreamEvent } from './stream-append.ts';

const HOUR_MS = 3_600_000;
const prefix = createRedisPrefix();
const redis = connectTestRedis({ keyPrefix: prefix.prefix });
defineAppendEvents(redis);

test.after.always(async () => {
  redis.disconnect();
  await prefix.cleanup();
});

let operators = 0;
/** A stream of its own per test, and events numbered after `fromSeq` (all in one transaction). */
function fixture() {
  const operatorId = `operator-${++operators}`;
  const events = (fromSeq: number, count: number): StreamEvent[] =>
    Array.from({ length: count }, (_, index) => ({ txid: '100', seq: String(fromSeq + index), json: JSON.stringify({ n: fromSeq + index }) }));
  return { operatorId, key: streamKey(operatorId), events };
}

async function append(operatorId: string, events: StreamEvent[], maxLen: number): Promise<number> {
  return appendEvents(redis, operatorId, events, { maxLen, retentionMs: HOUR_MS });
}

/** Entries written two hours ago, as a stream that has been running for a while holds them. */
async function addOldEntries(key: string, count: number): Promise<string[]> {
  const startMs = Date.now() - 2 * HOUR_MS;
  const ids = Array.from({ length: count }, (_, index) => `${startMs + index}-0`);
  for (const id of ids) await redis.xadd(key, id, 'event', '{"old":true}');
  return ids;
}

const idsOf = async (key: string) => (await redis.xrange(key, '-', '+')).map(([id]) => id);

test('a stream past its length bound keeps every entry younger than the age bound', async (t) => {
  const { operatorId, key, events } = fixture();
  t.is(await append(operatorId, events(1, 40), 10), 40);
  t.is(await append(operatorId, events(41, 5), 10), 5);
  t.is(await redis.xlen(key), 45);
});

test('entries beyond the length bound and older than the age bound go, oldest first, never below the length bound', async (t) => {
  const { operatorId, key, events } = fixture();
  const old = await addOldEntries(key, 30);
  await append(operatorId, events(1, 10), 15);
  const kept = await idsOf(key);
  t.is(kept.length, 15);
  t.deepEqual(kept.slice(0, 5), old.slice(25), 'the five newest old entries stay, to keep the length bound');
  t.true(kept.slice(5).every((id) => Number(id.split('-')[0]) > Date.now() - HOUR_MS));
});

test('old entries within the length bound stay', async (t) => {
  const { operatorId, key, events } = fixture();
  await addOldEntries(key, 30);
  await append(operatorId, events(1, 10), 50);
  t.is(await redis.xlen(key), 40);
});

test('only the old entries go when fewer are old than the stream is over its bound', async (t) => {
  const { operatorId, key, events } = fixture();
  const old = await addOldEntries(key, 3);
  await append(operatorId, events(1, 20), 5);
  const kept = await idsOf(key);
  t.is(kept.length, 20);
  t.false(kept.some((id) => old.includes(id)));
});

test('events at or before the stream position are not appended again', async (t) => {
  const { operatorId, key, events } = fixture();
  t.is(await append(operatorId, events(1, 3), 100), 3);
  t.is(await append(operatorId, events(2, 4), 100), 2, 'seq 2 and 3 are in already; 4 and 5 are new');
  t.is(await redis.xlen(key), 5);
});
