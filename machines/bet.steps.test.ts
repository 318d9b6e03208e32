import test from 'ava';
import { BET_STATES, isFinalBetStatus, isParkedBetStatus, SCHEDULED_STEP_STATES, stepOf } from './bet.machine.ts';

test('every state but the final ones waits on a wallet step, and a final state on none', (t) => {
  for (const status of BET_STATES) t.is(stepOf(status) === undefined, isFinalBetStatus(status), status);
});

test('a parked bet waits on the call that got stuck: its rollback, or its credit', (t) => {
  t.is(stepOf('parked'), 'rollback');
  t.is(stepOf('credit_parked'), 'credit');
});

test('the steps that run on their own are those of the open states that are not parked', (t) => {
  t.deepEqual([...SCHEDULED_STEP_STATES], ['debiting', 'crediting', 'credit_pending', 'rolling_back']);
  t.false(SCHEDULED_STEP_STATES.some(isParkedBetStatus));
});
