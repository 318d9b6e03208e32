import test from 'ava';
import { historyLost, type StreamInfo } from './history.ts';
import { parseStreamId, ZERO_ID } from './stream-id.ts';

const id = (raw: string) => parseStreamId(raw) ?? ZERO_ID;

// A stream of entries 100-0 … 199-0 that has lost nothing.
const whole: StreamInfo = { length: 100, entriesAdded: 100, lastGenerated: id('199-0'), maxDeleted: ZERO_ID, firstEntry: id('100-0') };

test('a stream that lost nothing is whole after any of its ids, and from 0-0', (t) => {
  for (const after of ['0-0', '100-0', '150-0', '199-0']) t.false(historyLost(whole, id(after)), after);
});

test('a missing stream loses history unless the client starts from 0-0', (t) => {
  t.true(historyLost(undefined, id('5-0')));
  t.false(historyLost(undefined, ZERO_ID));
});

test('an id past the last generated one means the stream started over', (t) => {
  t.true(historyLost(whole, id('200-0')));
});

test('an id below the first entry of a stream that lost nothing was never in it: it started over', (t) => {
  t.true(historyLost(whole, id('99-0')));
});

test('entries the relay deleted (XDEL, oldest first): lost below the last deleted id, whole from it on', (t) => {
  const trimmed: StreamInfo = { ...whole, length: 50, maxDeleted: id('149-0'), firstEntry: id('150-0') };
  t.true(historyLost(trimmed, id('120-0')));
  t.true(historyLost(trimmed, ZERO_ID));
  t.false(historyLost(trimmed, id('149-0')));
  t.false(historyLost(trimmed, id('160-0')));
});

test('XTRIM leaves no tombstone: any id before the first retained entry may have lost entries after it', (t) => {
  const trimmed: StreamInfo = { ...whole, length: 50, firstEntry: id('150-0') };
  t.true(historyLost(trimmed, id('149-0')));
  t.false(historyLost(trimmed, id('150-0')));
});

test('an emptied stream is whole only from its last id', (t) => {
  const empty: StreamInfo = { length: 0, entriesAdded: 100, lastGenerated: id('199-0'), maxDeleted: ZERO_ID, firstEntry: undefined };
  t.true(historyLost(empty, id('150-0')));
  t.false(historyLost(empty, id('199-0')));
});

test('an id between the first and last entries that the stream does not hold: a failover lost it, and what follows is another history', (t) => {
  t.true(historyLost(whole, id('150-0'), false));
  t.false(historyLost(whole, id('150-0'), true));
  t.false(historyLost(whole, ZERO_ID, false), '0-0 is no entry, and asks for everything');
  const trimmed: StreamInfo = { ...whole, length: 50, maxDeleted: id('149-0'), firstEntry: id('150-0') };
  t.false(historyLost(trimmed, id('149-0'), false), 'the last entry the relay deleted is not held, and nothing after it is missing');
});
