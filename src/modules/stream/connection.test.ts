import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import test from 'ava';
import { SseConnection } from './connection.ts';
import type { StreamEntry } from './entries.ts';
import type { EventFilter } from './filter.ts';
import { parseStreamId, ZERO_ID } from './stream-id.ts';

/** Just enough of a ServerResponse: records what is written; `accepting` plays a full socket. */
class RecordingResponse extends EventEmitter {
  written = '';
  accepting = true;
  headersSent = false;
  writableEnded = false;
  socket = null;
  writeHead() {
    this.headersSent = true;
  }
  flushHeaders() {}
  write(chunk: string) {
    this.written += chunk;
    return this.accepting;
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
  return { id, type, playerId, frame: `id: ${id.text}\nevent: ${type}\ndata: {}\n\n` };
};

function open(filter: EventFilter = {}, clientBuffer = 10) {
  const res = new RecordingResponse();
  const closed: SseConnection[] = [];
  const connection = new SseConnection(res as unknown as ServerResponse, filter, { heartbeatMs: 60_000, retryMs: 1_000, clientBuffer }, (c) =>
    closed.push(c),
  );
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

test('a client behind a full socket is queued up to the bound, then ended with stream.end', (t) => {
  const { res, connection, closed } = open({}, 10);
  connection.goLive();
  res.accepting = false;
  connection.deliver([entry('1-0')]);
  connection.deliver(Array.from({ length: 10 }, (_, n) => entry(`${n + 2}-0`)));
  t.false(connection.closed, 'ten queued entries are within the bound');
  connection.deliver([entry('12-0')]);
  t.true(connection.closed);
  t.deepEqual(closed, [connection]);
  t.true(res.written.endsWith('event: stream.end\ndata: {"reason":"slow_consumer"}\n\n'));
  t.true(res.writableEnded);
});

test('a queue behind a full socket is written in order once it drains', (t) => {
  const { res, connection } = open({}, 10);
  connection.goLive();
  res.accepting = false;
  connection.deliver([entry('1-0')]);
  connection.deliver([entry('2-0'), entry('3-0')]);
  t.deepEqual(res.ids(), ['1-0']);
  res.accepting = true;
  res.emit('drain');
  connection.deliver([entry('4-0')]);
  t.deepEqual(res.ids(), ['1-0', '2-0', '3-0', '4-0']);
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
