import type { ServerResponse } from 'node:http';
import test from 'ava';
import { RecordingResponse, streamEntry as entry } from '../../../test/support/recording-response.ts';
import { SseConnection } from './connection.ts';
import { OperatorFanOut } from './fan-out.ts';
import type { EventFilter } from './filter.ts';

function live(fanOut: OperatorFanOut, filter: EventFilter = {}, maxBacklogBytes = 10_000) {
  const res = new RecordingResponse();
  const settings = { heartbeatMs: 60_000, retryMs: 1_000, clientBuffer: 10, maxBacklogBytes };
  const connection = new SseConnection(res as unknown as ServerResponse, filter, settings, (closed) => fanOut.delete(closed));
  connection.open();
  connection.goLive();
  fanOut.add(connection);
  return { res, connection, opened: res.chunks.length };
}

const batch = () => [entry('1-0', 'bet.placed', 'p1'), entry('2-0', 'bet.won', 'p2'), entry('3-0', 'round.created', 'p1'), { ...entry('4-0', 'session.launched'), playerId: undefined }];

test('every unfiltered client is written the same bytes of a batch, once each', (t) => {
  const fanOut = new OperatorFanOut();
  const clients = [live(fanOut), live(fanOut), live(fanOut)];
  fanOut.deliver(batch());
  const written = clients.map(({ res, opened }) => res.chunks.slice(opened));
  t.true(written.every((chunks) => chunks.length === 1));
  t.is(written[0]![0], written[1]![0]);
  t.is(written[1]![0], written[2]![0]);
  for (const { res } of clients) t.deepEqual(res.ids(), ['1-0', '2-0', '3-0', '4-0']);
});

test('filtered clients get exactly their frames: by player, by type, and both', (t) => {
  const fanOut = new OperatorFanOut();
  const p1 = live(fanOut, { playerId: 'p1' });
  const p2Won = live(fanOut, { playerId: 'p2', types: ['bet.won'] });
  const p2Lost = live(fanOut, { playerId: 'p2', types: ['bet.lost'] });
  const rounds = live(fanOut, { types: ['round.*', 'session.launched'] });
  const nobody = live(fanOut, { playerId: 'p3' });
  fanOut.deliver(batch());
  fanOut.deliver([entry('5-0', 'bet.lost', 'p2'), entry('6-0', 'bet.placed', 'p1')]);
  t.deepEqual(p1.res.ids(), ['1-0', '3-0', '6-0']);
  t.deepEqual(p2Won.res.ids(), ['2-0']);
  t.deepEqual(p2Lost.res.ids(), ['5-0']);
  t.deepEqual(rounds.res.ids(), ['3-0', '4-0']);
  t.deepEqual(nobody.res.ids(), []);
  t.is(p1.res.chunks.length - p1.opened, 2, 'one write per batch');
  t.is(fanOut.size, 5);
});

test('a client that stops reading is ended at its bound while the others keep receiving', (t) => {
  const fanOut = new OperatorFanOut();
  const reading = live(fanOut);
  const stuck = live(fanOut, {}, 200);
  stuck.res.accepting = false;
  for (let n = 1; n <= 20; n++) fanOut.deliver([entry(`${n}-0`)]);
  t.true(stuck.connection.closed);
  t.true(stuck.res.written.endsWith('event: stream.end\ndata: {"reason":"slow_consumer"}\n\n'));
  t.is(fanOut.size, 1, 'the ended client left the fan-out');
  t.deepEqual(reading.res.ids(), Array.from({ length: 20 }, (_, n) => `${n + 1}-0`));
});

test('clients leave their group; the last one of a player leaves none behind', (t) => {
  const fanOut = new OperatorFanOut();
  const a = live(fanOut, { playerId: 'p1' });
  const b = live(fanOut);
  a.res.emit('close');
  b.res.emit('close');
  t.is(fanOut.size, 0);
  t.deepEqual(fanOut.connections(), []);
  t.false(fanOut.delete(a.connection));
});
