import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import test from 'ava';
import { SseConnection } from './connection.ts';
import type { StreamEntry } from './entries.ts';
import type { EventFilter } from './filter.ts';
import { parseStreamId, ZERO_ID } from './stream-id.ts';

/**
 * Just enough of a ServerResponse: records what is written; `accepting` plays a full
 * socket, and what is written meanwhile counts as its unsent backlog until 'drain'.
 */
class RecordingResponse extends EventEmitter {
  written = '';
  accepting = true;
  writableLength = 0;
  headersSent = false;
  writableEnded = false;
  socket = null;
  writeHead() {
    this.headersSent = true;
  }
  flushHeaders() {}
  writes = 0;
  write(chunk: string | Buffer) {
    this.writes += 1;
    this.written += chunk.toString();
    if (!this.accepting) this.writableLength += Buffer.byteLength(chunk);
    return this.accepting;
  }
  drain() {
    this.accepting = true;
    this.writableLength = 0;
    this.emit('drain');
  }
  end(chunk?: string) {
    if (chunk) this.written += chunk;
    this.writableEnded = true;
  }
  ids() {
    return [...this.written.matchAll(/^id: (.+)$/gm)].map((match) => match[1]);
  }
}

const entry = (raw: string, type = 'bet.placed', playerId = 'p1'): StreamEntry => {
  const id = parseStreamId(raw) ?? ZERO_ID;
  return { id, type, playerId, frame: Buffer.from(`id: ${id.text}\nevent: ${type}\ndata: {}\n\n`) };
};

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
