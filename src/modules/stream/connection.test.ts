import type { ServerResponse } from 'node:http';
import test from 'ava';
import { RecordingResponse, streamEntry } from '../../../test/support/recording-response.ts';
import { SseConnection } from './connection.ts';
import type { EventFilter } from './filter.ts';
import { parseStreamId, ZERO_ID } from './stream-id.ts';

const entry = streamEntry;

function open(filter: EventFilter = {}, clientBuffer = 10, maxBacklogBytes = 1_000) {
  const res = new RecordingResponse();
  const closed: SseConnection[] = [];
  const settings = { heartbeatMs: 60_000, retryMs: 1_000, clientBuffer, maxBacklogBytes };
  const connection = new SseConnection(res as unknown as ServerResponse, filter, settings, (c) => closed.push(c));
  connection.open();
  return { res, connection, closed };
}

test('live entries held during replay are sent after it only past the last replayed id, in order', async (t) => {
  const { res, connection } = open();
  connection.beginReplay(parseStreamId('1-0')!);
  connection.deliver([entry('3-0'), entry('4-0')]);
  await connection.replayPage([entry('2-0'), entry('3-0')], parseStreamId('3-0'));
  connection.deliver([entry('5-0')]);
  connection.goLive();
  connection.deliver([entry('5-0'), entry('6-0')]);
  t.deepEqual(res.ids(), ['2-0', '3-0', '4-0', '5-0', '6-0']);
});

test('a filtered-out entry moves the cursor but is not sent', async (t) => {
  const { res, connection } = open({ types: ['bet.*'], playerId: 'p1' });
  connection.beginReplay(ZERO_ID);
  connection.deliver([entry('3-0', 'bet.won'), entry('4-0', 'wallet.debited')]);
  await connection.replayPage([entry('1-0', 'wallet.debited'), entry('2-0', 'bet.won', 'p2'), entry('3-0', 'bet.won')], parseStreamId('3-0'));
  connection.goLive();
  connection.deliver([entry('4-0', 'bet.lost'), entry('5-0', 'bet.lost')]);
  t.deepEqual(res.ids(), ['3-0', '5-0']);
});

test('too many held entries while replay reads on are let go, and replay is told to read another page', (t) => {
  const { connection } = open({}, 10);
  connection.beginReplay(ZERO_ID);
  connection.beginPage();
  connection.deliver(Array.from({ length: 11 }, (_, n) => entry(`${n + 1}-0`)));
  t.true(connection.heldDroppedSincePage);
  connection.beginPage();
  t.false(connection.heldDroppedSincePage);
  t.false(connection.closed);
});

test('a client whose unsent backlog passes the byte bound is ended with stream.end', (t) => {
  const { res, connection, closed } = open({}, 10, 200);
  connection.goLive();
  res.accepting = false;
  // Each frame is 36 bytes: six make a backlog of 216, and the write after that finds it past 200.
  for (let n = 1; n <= 6; n++) connection.deliver([entry(`${n}-0`)]);
  t.false(connection.closed, 'a write onto a backlog of 180 bytes goes out');
  connection.deliver([entry('7-0')]);
  t.true(connection.closed);
  t.deepEqual(closed, [connection]);
  t.deepEqual(res.ids(), ['1-0', '2-0', '3-0', '4-0', '5-0', '6-0']);
  t.true(res.written.endsWith('event: stream.end\ndata: {"reason":"slow_consumer"}\n\n'));
  t.true(res.writableEnded);
});

test('a client behind a full socket keeps its stream while it drains within the bound', (t) => {
  const { res, connection } = open({}, 10, 200);
  connection.goLive();
  res.accepting = false;
  connection.deliver([entry('1-0')]);
  connection.deliver([entry('2-0'), entry('3-0')]);
  res.drain();
  connection.deliver([entry('4-0')]);
  t.false(connection.closed);
  t.deepEqual(res.ids(), ['1-0', '2-0', '3-0', '4-0']);
});

test('at the replay limit the stream ends after an id-only block naming the last entry passed, filtered out or not', async (t) => {
  const { res, connection, closed } = open({ types: ['bet.won'] });
  connection.beginReplay(ZERO_ID);
  await connection.replayPage([entry('1-0', 'bet.won'), entry('2-0', 'bet.lost')], parseStreamId('2-0'));
  connection.replayLimitReached();
  t.deepEqual(closed, [connection]);
  t.true(res.written.endsWith('id: 1-0\nevent: bet.won\ndata: {}\n\nid: 2-0\n\nevent: stream.end\ndata: {"reason":"replay_limit"}\n\nretry: 1000\n\n'));
  t.true(res.writableEnded);
});

test('shutdown writes a last retry hint and ends; the client leaving frees the connection once', (t) => {
  const first = open();
  first.connection.shutdown();
  t.true(first.res.written.endsWith('retry: 1000\n\n'));
  t.true(first.res.writableEnded);
  t.is(first.closed.length, 1);

  const second = open();
  second.res.emit('close');
  second.res.emit('close');
  second.connection.deliver([entry('1-0')]);
  t.is(second.closed.length, 1);
  t.deepEqual(second.res.ids(), []);
});

test('a live unfiltered client is written the shared bytes of a batch in one write', (t) => {
  const { res, connection } = open();
  connection.goLive();
  const batch = [entry('1-0'), entry('2-0'), entry('3-0')];
  const whole = Buffer.concat(batch.map((each) => each.frame));
  const before = res.chunks.length;
  connection.deliver(batch, whole);
  t.is(res.chunks.length, before + 1);
  t.is(res.chunks.at(-1), whole, 'the very Buffer the fan-out made, not a copy');
  // A batch overlapping what it already passed (replay ran ahead of the reader) is cut to the new entries, still in one write.
  connection.deliver([entry('3-0'), entry('4-0'), entry('5-0')], Buffer.alloc(0));
  t.is(res.chunks.length, before + 2);
  t.deepEqual(res.ids(), ['1-0', '2-0', '3-0', '4-0', '5-0']);
});

test('a filtered client is written only its matching frames, in one write per batch', (t) => {
  const { res, connection } = open({ types: ['bet.won', 'wallet.*'] });
  connection.goLive();
  const before = res.chunks.length;
  connection.deliver([entry('1-0', 'bet.won'), entry('2-0', 'bet.lost'), entry('3-0', 'wallet.debited')]);
  t.is(res.chunks.length, before + 1);
  t.deepEqual(res.ids(), ['1-0', '3-0']);
});

test('shutdown cuts a client whose socket is not taking what it was sent, and queues nothing more', (t) => {
  const { res, connection, closed } = open({}, 10, 10_000);
  connection.goLive();
  res.accepting = false;
  connection.deliver([entry('1-0')]);
  const written = res.written;
  connection.shutdown();
  t.true(res.destroyed);
  t.is(res.written, written);
  t.deepEqual(closed, [connection]);
});
