import test from 'ava';
import { betStatus, restoreBetSnapshot, startBet } from '../../../machines/bet.runtime-api.ts';
import { parseStoredSnapshot } from './stored-snapshot.ts';

const win = { betId: 'b-1', amount: 1_000, payout: 1_980, win: true };

test('a stored snapshot is taken as the jsonb object or its JSON text and restores the machine', (t) => {
  const step = startBet(win);
  t.is(betStatus(restoreBetSnapshot(parseStoredSnapshot(step.persisted))), 'debiting');
  t.is(betStatus(restoreBetSnapshot(parseStoredSnapshot(JSON.stringify(step.persisted)))), 'debiting');
});

test('anything that is not a snapshot of the bet machine is refused before the machine sees it', (t) => {
  const step = startBet(win);
  t.throws(() => parseStoredSnapshot({ ...step.persisted, value: 'paid' }));
  t.throws(() => parseStoredSnapshot({ value: 'debiting' }));
  t.throws(() => parseStoredSnapshot(null));
  t.throws(() => parseStoredSnapshot({ ...step.persisted, context: { ...step.persisted.context, amount: 1.5 } }));
  t.throws(() => parseStoredSnapshot({ ...step.persisted, context: { ...step.persisted.context, extra: true } }));
});
