import test from 'ava';
import {
  BET_STATES,
  DEFAULT_PARK_AFTER_MS,
  isDebitApplied,
  isFinalBetStatus,
  isMoneyDecided,
  isParkedBetStatus,
  type BetEvent,
  type BetInput,
} from './bet.machine.ts';
import { advanceBet, betStatus, restoreBetSnapshot, startBet, type BetStep, type PersistedBetSnapshot } from './bet.runtime-api.ts';

const T0 = Date.UTC(2026, 0, 1);
const win: BetInput = { betId: 'b-1', amount: 1000, payout: 1980, win: true };
const loss: BetInput = { betId: 'b-2', amount: 1000, payout: 0, win: false };

/** Runs events one by one through stored JSON, as the runtime would. */
function run(input: BetInput, ...events: BetEvent[]): BetStep[] {
  const steps = [startBet(input)];
  for (const event of events) steps.push(advanceBet(JSON.parse(JSON.stringify(steps.at(-1)!.persisted)) as PersistedBetSnapshot, event));
  return steps;
}

test('a new bet asks for the debit and reports bet.placed', (t) => {
  const step = startBet(win);
  t.is(step.status, 'debiting');
  t.true(step.changed);
  t.deepEqual(step.events, ['bet.placed']);
  t.deepEqual(step.effects, [{ type: 'requestDebit', params: { betId: 'b-1', amount: 1000, attempt: 1 } }]);
  t.is(step.persisted.context.transitions, 0);
  t.false(isMoneyDecided(step.status));
});

test('a losing bet is lost once the debit succeeds, and no credit is asked for', (t) => {
  const [, lost] = run(loss, { type: 'DEBIT_SUCCEEDED', at: T0 });
  t.is(lost!.status, 'lost');
  t.deepEqual(lost!.events, ['wallet.debited', 'bet.lost']);
  t.deepEqual(lost!.effects, []);
  t.is(lost!.snapshot.status, 'done');
  t.true(isMoneyDecided('lost'));
});

test('a winning bet is credited its payout, then won', (t) => {
  const [, crediting, won] = run(win, { type: 'DEBIT_SUCCEEDED', at: T0 }, { type: 'CREDIT_SUCCEEDED', at: T0 + 5 });
  t.is(crediting!.status, 'crediting');
  t.deepEqual(crediting!.events, ['wallet.debited']);
  t.deepEqual(crediting!.effects, [{ type: 'requestCredit', params: { betId: 'b-1', amount: 1980, attempt: 1 } }]);
  t.false(isMoneyDecided('crediting'));
  t.is(won!.status, 'won');
  t.deepEqual(won!.events, ['wallet.credited', 'bet.won']);
  t.deepEqual(won!.effects, []);
});

test('a failed credit defers to the outbox, which retries with a growing attempt until the credit lands', (t) => {
  const steps = run(
    win,
    { type: 'DEBIT_SUCCEEDED', at: T0 },
    { type: 'CREDIT_FAILED', at: T0 + 1, error: 'HTTP 503' },
    { type: 'CREDIT_FAILED', at: T0 + 2, error: 'timeout' },
    { type: 'CREDIT_SUCCEEDED', at: T0 + 3 },
  );
  const [, , deferred, retried, won] = steps;
  t.is(deferred!.status, 'credit_pending');
  t.true(isMoneyDecided('credit_pending'));
  t.deepEqual(deferred!.events, ['wallet.credit_failed', 'settlement.deferred']);
  t.deepEqual(deferred!.effects, [{ type: 'requestCredit', params: { betId: 'b-1', amount: 1980, attempt: 2 } }]);
  t.is(retried!.status, 'credit_pending');
  t.true(retried!.changed);
  t.deepEqual(retried!.events, ['wallet.credit_failed']);
  t.deepEqual(retried!.effects, [{ type: 'requestCredit', params: { betId: 'b-1', amount: 1980, attempt: 3 } }]);
  t.is(retried!.persisted.context.lastError, 'timeout');
  t.is(won!.status, 'won');
  t.deepEqual(won!.events, ['wallet.credited', 'settlement.completed', 'bet.won']);
});

test('a refused debit rejects the bet with the wallet code and touches nothing else', (t) => {
  const [, rejected] = run(win, { type: 'DEBIT_REFUSED', at: T0, code: 'INSUFFICIENT_FUNDS', afterUnknown: false });
  t.is(rejected!.status, 'rejected');
  t.is(rejected!.persisted.context.rejectReason, 'INSUFFICIENT_FUNDS');
  t.deepEqual(rejected!.events, ['wallet.debit_failed', 'bet.rejected']);
  t.deepEqual(rejected!.effects, []);
});

test('a debit with an unknown result is rolled back, then the bet is cancelled', (t) => {
  const [, rollingBack, cancelled] = run(
    win,
    { type: 'DEBIT_FAILED', at: T0, error: 'timeout' },
    { type: 'ROLLBACK_SUCCEEDED', at: T0 + 1 },
  );
  t.is(rollingBack!.status, 'rolling_back');
  t.deepEqual(rollingBack!.events, ['wallet.debit_failed']);
  t.deepEqual(rollingBack!.effects, [{ type: 'requestRollback', params: { betId: 'b-1', amount: 1000, attempt: 1 } }]);
  t.is(rollingBack!.persisted.context.rollbackStartedAt, T0);
  t.is(cancelled!.status, 'cancelled');
  t.deepEqual(cancelled!.events, ['wallet.rolled_back', 'bet.cancelled']);
});

test('a refusal after an unknown debit attempt is not final: the debit is rolled back, then the bet is cancelled', (t) => {
  const [, rollingBack, cancelled] = run(
    win,
    { type: 'DEBIT_REFUSED', at: T0, code: 'HTTP_404', afterUnknown: true },
    { type: 'ROLLBACK_SUCCEEDED', at: T0 + 1 },
  );
  t.is(rollingBack!.status, 'rolling_back');
  t.deepEqual(rollingBack!.events, ['wallet.debit_failed']);
  t.deepEqual(rollingBack!.effects, [{ type: 'requestRollback', params: { betId: 'b-1', amount: 1000, attempt: 1 } }]);
  t.is(rollingBack!.persisted.context.rollbackStartedAt, T0, 'the park bound counts from the refusal');
  t.is(rollingBack!.persisted.context.rejectReason, null, 'not rejected');
  t.is(rollingBack!.persisted.context.lastError, 'HTTP_404');
  t.is(cancelled!.status, 'cancelled');
  t.deepEqual(cancelled!.events, ['wallet.rolled_back', 'bet.cancelled']);
});

test('a refused credit parks the bet for an operator and alerts, whether it was the first attempt or a retry', (t) => {
  const [, , fromCrediting] = run(win, { type: 'DEBIT_SUCCEEDED', at: T0 }, { type: 'CREDIT_REFUSED', at: T0 + 1, code: 'DEBIT_REFUSED' });
  t.is(fromCrediting!.status, 'credit_parked');
  t.deepEqual(fromCrediting!.events, ['wallet.credit_failed', 'settlement.deferred', 'bet.parked']);
  t.deepEqual(fromCrediting!.effects, [
    { type: 'alertParked', params: { betId: 'b-1', step: 'credit', amount: 1980, attempts: 1, lastError: 'DEBIT_REFUSED' } },
  ]);
  t.is(fromCrediting!.snapshot.status, 'active', 'money is owed: not final');

  const [, , , fromOutbox] = run(
    win,
    { type: 'DEBIT_SUCCEEDED', at: T0 },
    { type: 'CREDIT_FAILED', at: T0 + 1, error: 'timeout' },
    { type: 'CREDIT_REFUSED', at: T0 + 2, code: 'HTTP_404' },
  );
  t.is(fromOutbox!.status, 'credit_parked');
  t.deepEqual(fromOutbox!.events, ['wallet.credit_failed', 'bet.parked']);
  t.deepEqual(fromOutbox!.effects, [
    { type: 'alertParked', params: { betId: 'b-1', step: 'credit', amount: 1980, attempts: 2, lastError: 'HTTP_404' } },
  ]);
  t.true(isMoneyDecided('credit_parked'), 'the win is owed, as in credit_pending');
  t.false(isFinalBetStatus('credit_parked'));
});

test('a credit-parked bet waits for a forced credit: failures and refusals change nothing, a credit that lands wins it', (t) => {
  const parked = run(win, { type: 'DEBIT_SUCCEEDED', at: T0 }, { type: 'CREDIT_REFUSED', at: T0 + 1, code: 'HTTP_409' }).at(-1)!;
  for (const event of [
    { type: 'CREDIT_FAILED', at: T0 + 2, error: 'timeout' },
    { type: 'CREDIT_REFUSED', at: T0 + 2, code: 'HTTP_404' },
    { type: 'ROLLBACK_SUCCEEDED', at: T0 + 2 },
    { type: 'MANUAL_RESOLVED', at: T0 + 2, resolution: 'cancelled' },
  ] satisfies BetEvent[]) {
    const next = advanceBet(parked.persisted, event);
    t.false(next.changed, event.type);
    t.deepEqual(next.persisted, parked.persisted);
  }
  const won = advanceBet(parked.persisted, { type: 'CREDIT_SUCCEEDED', at: T0 + 3 });
  t.is(won.status, 'won');
  t.deepEqual(won.events, ['wallet.credited', 'settlement.completed', 'bet.won']);
  t.deepEqual(won.effects, []);
});

test('the outcome may show only in states after an applied debit; both parked states are parked', (t) => {
  const applied = BET_STATES.filter((status) => isDebitApplied(status));
  t.deepEqual(applied, ['crediting', 'credit_pending', 'credit_parked', 'won', 'lost']);
  t.deepEqual(
    BET_STATES.filter((status) => isParkedBetStatus(status)),
    ['parked', 'credit_parked'],
  );
});

test('a failing rollback is asked for again until the park bound, then the bet is parked and alerted', (t) => {
  const steps = run(
    loss,
    { type: 'DEBIT_FAILED', at: T0, error: 'timeout' },
    { type: 'ROLLBACK_FAILED', at: T0 + DEFAULT_PARK_AFTER_MS - 1, error: 'HTTP 502' },
    { type: 'ROLLBACK_FAILED', at: T0 + DEFAULT_PARK_AFTER_MS, error: 'HTTP 504' },
  );
  const [, , stillRollingBack, parked] = steps;
  t.is(stillRollingBack!.status, 'rolling_back');
  t.deepEqual(stillRollingBack!.events, []);
  t.deepEqual(stillRollingBack!.effects, [
    { type: 'requestRollback', params: { betId: 'b-2', amount: 1000, attempt: 2 } },
  ]);
  t.is(parked!.status, 'parked');
  t.deepEqual(parked!.events, ['bet.parked']);
  t.deepEqual(parked!.effects, [
    { type: 'alertParked', params: { betId: 'b-2', step: 'rollback', amount: 1000, attempts: 2, lastError: 'HTTP 504' } },
  ]);
  t.is(parked!.snapshot.status, 'active');
  t.false(isMoneyDecided('parked'));
});

test('the park bound can be set per bet', (t) => {
  const [, , parked] = run(
    { ...win, parkAfterMs: 60_000 },
    { type: 'DEBIT_FAILED', at: T0, error: 'timeout' },
    { type: 'ROLLBACK_FAILED', at: T0 + 60_000, error: 'HTTP 502' },
  );
  t.is(parked!.status, 'parked');
});

function parkedBet(input: BetInput): BetStep {
  return run(
    input,
    { type: 'DEBIT_FAILED', at: T0, error: 'timeout' },
    { type: 'ROLLBACK_FAILED', at: T0 + DEFAULT_PARK_AFTER_MS, error: 'HTTP 502' },
  ).at(-1)!;
}

test('a parked bet ignores further rollback failures', (t) => {
  const parked = parkedBet(win);
  const next = advanceBet(parked.persisted, { type: 'ROLLBACK_FAILED', at: T0 + 2 * DEFAULT_PARK_AFTER_MS, error: 'x' });
  t.false(next.changed);
  t.deepEqual(next.persisted, parked.persisted);
});

test('a parked bet is cancelled when a forced rollback works', (t) => {
  const next = advanceBet(parkedBet(win).persisted, { type: 'ROLLBACK_SUCCEEDED', at: T0 + 1 });
  t.is(next.status, 'cancelled');
  t.deepEqual(next.events, ['wallet.rolled_back', 'bet.cancelled']);
});

test('an admin can cancel a parked bet when the wallet holds no debit', (t) => {
  const next = advanceBet(parkedBet(win).persisted, { type: 'MANUAL_RESOLVED', at: T0 + 1, resolution: 'cancelled' });
  t.is(next.status, 'cancelled');
  t.is(next.persisted.context.manualResolution, 'cancelled');
  t.deepEqual(next.events, ['bet.cancelled']);
  t.deepEqual(next.effects, []);
});

test('when an admin confirms the debit stood, a parked win is credited and a parked loss is lost', (t) => {
  const credited = advanceBet(parkedBet(win).persisted, { type: 'MANUAL_RESOLVED', at: T0 + 1, resolution: 'debited' });
  t.is(credited.status, 'crediting');
  t.deepEqual(credited.events, ['wallet.debited']);
  t.deepEqual(credited.effects, [{ type: 'requestCredit', params: { betId: 'b-1', amount: 1980, attempt: 1 } }]);

  const lost = advanceBet(parkedBet(loss).persisted, { type: 'MANUAL_RESOLVED', at: T0 + 1, resolution: 'debited' });
  t.is(lost.status, 'lost');
  t.deepEqual(lost.events, ['wallet.debited', 'bet.lost']);
  t.deepEqual(lost.effects, []);
});

test('a duplicate or late wallet answer changes nothing', (t) => {
  const [, crediting] = run(win, { type: 'DEBIT_SUCCEEDED', at: T0 });
  for (const event of [
    { type: 'DEBIT_SUCCEEDED', at: T0 + 1 },
    { type: 'DEBIT_FAILED', at: T0 + 1, error: 'late' },
    { type: 'ROLLBACK_SUCCEEDED', at: T0 + 1 },
  ] satisfies BetEvent[]) {
    const next = advanceBet(crediting!.persisted, event);
    t.false(next.changed, event.type);
    t.is(next.status, 'crediting');
    t.deepEqual(next.persisted, crediting!.persisted);
    t.deepEqual([next.effects, next.events], [[], []]);
  }
});

test('startBet refuses an input whose payout contradicts the outcome', (t) => {
  t.throws(() => startBet({ ...loss, payout: 10 }));
  t.throws(() => startBet({ ...win, payout: 0 }));
  t.throws(() => startBet({ ...win, amount: 0 }));
  t.throws(() => startBet({ ...win, amount: 1.5 }));
});

// Written down literally from what the runtime stored before it used XState's public
// `initialTransition`/`transition` (it called the machine with an actor scope of its own):
// databases hold bets persisted that way, and they must go on settling.
const STORED_DEBITING =
  '{"status":"active","value":"debiting","historyValue":{},"context":{"betId":"0192f4a0-7c1e-7b3a-9d2e-5f6a7b8c9d0e","amount":1000,"payout":1980,"win":true,"parkAfterMs":21600000,"transitions":0,"rejectReason":null,"lastError":null,"rollbackStartedAt":null,"creditAttempts":0,"rollbackAttempts":0,"manualResolution":null},"children":{}}';
const STORED_CREDIT_PENDING =
  '{"status":"active","value":"credit_pending","historyValue":{},"context":{"betId":"0192f4a0-7c1e-7b3a-9d2e-5f6a7b8c9d0e","amount":1000,"payout":1980,"win":true,"parkAfterMs":21600000,"transitions":2,"rejectReason":null,"lastError":"HTTP 503","rollbackStartedAt":null,"creditAttempts":1,"rollbackAttempts":0,"manualResolution":null},"children":{}}';

test('a bet stored in debiting by the earlier runtime restores and settles', (t) => {
  const stored = JSON.parse(STORED_DEBITING) as PersistedBetSnapshot;
  t.is(betStatus(restoreBetSnapshot(stored)), 'debiting');

  const crediting = advanceBet(stored, { type: 'DEBIT_SUCCEEDED', at: T0 });
  t.true(crediting.changed);
  t.is(crediting.status, 'crediting');
  t.deepEqual(crediting.events, ['wallet.debited']);
  t.deepEqual(crediting.effects, [
    { type: 'requestCredit', params: { betId: '0192f4a0-7c1e-7b3a-9d2e-5f6a7b8c9d0e', amount: 1980, attempt: 1 } },
  ]);
  t.is(crediting.persisted.context.transitions, 1);

  const rollingBack = advanceBet(JSON.parse(STORED_DEBITING) as PersistedBetSnapshot, { type: 'DEBIT_FAILED', at: T0, error: 'timeout' });
  t.is(rollingBack.status, 'rolling_back');
  t.deepEqual(rollingBack.events, ['wallet.debit_failed']);
  t.deepEqual(rollingBack.effects, [
    { type: 'requestRollback', params: { betId: '0192f4a0-7c1e-7b3a-9d2e-5f6a7b8c9d0e', amount: 1000, attempt: 1 } },
  ]);
  t.is(rollingBack.persisted.context.rollbackStartedAt, T0);
});

test('a bet stored in credit_pending by the earlier runtime restores, retries with the next attempt and is paid', (t) => {
  const stored = JSON.parse(STORED_CREDIT_PENDING) as PersistedBetSnapshot;
  t.is(betStatus(restoreBetSnapshot(stored)), 'credit_pending');

  const retried = advanceBet(stored, { type: 'CREDIT_FAILED', at: T0, error: 'timeout' });
  t.true(retried.changed);
  t.is(retried.status, 'credit_pending');
  t.deepEqual(retried.events, ['wallet.credit_failed']);
  t.deepEqual(retried.effects, [
    { type: 'requestCredit', params: { betId: '0192f4a0-7c1e-7b3a-9d2e-5f6a7b8c9d0e', amount: 1980, attempt: 3 } },
  ]);
  t.like(retried.persisted.context, { creditAttempts: 2, transitions: 3, lastError: 'timeout' });

  const won = advanceBet(JSON.parse(JSON.stringify(retried.persisted)) as PersistedBetSnapshot, { type: 'CREDIT_SUCCEEDED', at: T0 + 1 });
  t.is(won.status, 'won');
  t.deepEqual(won.events, ['wallet.credited', 'settlement.completed', 'bet.won']);
  t.deepEqual(won.effects, []);
  t.is(won.snapshot.status, 'done');

  const ignored = advanceBet(JSON.parse(STORED_CREDIT_PENDING) as PersistedBetSnapshot, { type: 'DEBIT_SUCCEEDED', at: T0 });
  t.false(ignored.changed);
  t.deepEqual(ignored.persisted, JSON.parse(STORED_CREDIT_PENDING));
});

test('the persisted snapshot is plain JSON in XState’s persisted shape', (t) => {
  const { persisted } = startBet(win);
  t.deepEqual(JSON.parse(JSON.stringify(persisted)), {
    status: 'active',
    value: 'debiting',
    historyValue: {},
    children: {},
    context: {
      betId: 'b-1',
      amount: 1000,
      payout: 1980,
      win: true,
      parkAfterMs: DEFAULT_PARK_AFTER_MS,
      transitions: 0,
      rejectReason: null,
      lastError: null,
      rollbackStartedAt: null,
      creditAttempts: 0,
      rollbackAttempts: 0,
      manualResolution: null,
    },
  });
});
