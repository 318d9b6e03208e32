import test from 'ava';
import { compareIds, parseStreamId, resumeFrom } from './stream-id.ts';

const id = (raw: string) => {
  const parsed = parseStreamId(raw);
  if (!parsed) throw new Error(`not an id: ${raw}`);
  return parsed;
};

test('stream ids compare numerically, ms first, then seq', (t) => {
  t.true(compareIds(id('9-0'), id('10-0')) < 0);
  t.true(compareIds(id('10-9'), id('10-10')) < 0);
  t.true(compareIds(id('11-0'), id('10-99')) > 0);
  t.is(compareIds(id('0010-01'), id('10-1')), 0);
});

test('a bare ms is ms-0; leading zeros are dropped from the canonical text', (t) => {
  t.is(id('1700000000000').text, '1700000000000-0');
  t.is(id('007-08').text, '7-8');
});

test('anything else is not a stream id', (t) => {
  for (const raw of ['', 'abc', '1-', '-1', '1-2-3', '1.5-0', ' 1-0', '18446744073709551616-0', '1-18446744073709551616', '1'.repeat(21)]) {
    t.is(parseStreamId(raw), undefined, raw);
  }
  t.truthy(parseStreamId('18446744073709551615-18446744073709551615'));
});

test('the Last-Event-ID header wins over the query; empty means none; garbage is "invalid", not an error', (t) => {
  t.like(resumeFrom('5-1', '9-9'), { kind: 'after', id: { text: '5-1' } });
  t.like(resumeFrom(undefined, '9-9'), { kind: 'after', id: { text: '9-9' } });
  t.like(resumeFrom('', '9-9'), { kind: 'after', id: { text: '9-9' } });
  t.deepEqual(resumeFrom(undefined, undefined), { kind: 'live' });
  t.deepEqual(resumeFrom(undefined, ''), { kind: 'live' });
  t.deepEqual(resumeFrom('nope', '9-9'), { kind: 'invalid' });
  t.deepEqual(resumeFrom(undefined, ['1-0', '2-0']), { kind: 'invalid' });
});
