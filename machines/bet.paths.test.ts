import test from 'ava';
import { getShortestPaths, getSimplePaths } from '@xstate/graph';
import {
  BET_STATES,
  DEFAULT_PARK_AFTER_MS,
  FINAL_BET_STATES,
  betMachine,
  isFinalBetStatus,
  type BetEffectType,
  type BetEvent,
  type BetEventType,
  type BetInput,
  type BetStatus,
} from './bet.machine.ts';
import {
  advanceBet,
  canAccept,
  restoreBetSnapshot,
  startBet,
  type BetSnapshot,
  type BetStep,
} from './bet.runtime-api.ts';

/*
 * Every path of the bet machine, generated from the machine itself with @xstate/graph,
 * replayed through the API the runtime uses (startBet/advanceBet on stored JSON) and
 * checked against SPEC §4/§7 written down independently below as `specStep`.
 */

const DEBIT_FAILED_AT = 1_000_000;

const winningBet: BetInput = { betId: 'bet-win', amount: 1000, payout: 1980, win: true };
const losingBet: BetInput = { betId: 'bet-loss', amount: 1000, payout: 0, win: false };

/** Every event type with each payload that matters, including `at` both sides of the park bound. */
function eventsFor(snapshot: BetSnapshot): BetEvent[] {
  const startedAt = snapshot.context.rollbackStartedAt ?? DEBIT_FAILED_AT;
  return [
    { type: 'DEBIT_SUCCEEDED', at: DEBIT_FAILED_AT },
    { type: 'DEBIT_REFUSED', at: DEBIT_FAILED_AT, code: 'INSUFFICIENT_FUNDS', afterUnknown: false },
    { type: 'DEBIT_REFUSED', at: DEBIT_FAILED_AT, code: 'HTTP_404', afterUnknown: true },
    { type: 'DEBIT_FAILED', at: DEBIT_FAILED_AT, error: 'timeout' },
    { type: 'CREDIT_SUCCEEDED', at: DEBIT_FAILED_AT + 10 },
    { type: 'CREDIT_FAILED', at: DEBIT_FAILED_AT + 10, error: 'HTTP 503' },
    { type: 'CREDIT_REFUSED', at: DEBIT_FAILED_AT + 10, code: 'HTTP_409' },
    { type: 'ROLLBACK_SUCCEEDED', at: startedAt + 10 },
    { type: 'ROLLBACK_FAILED', at: startedAt + 1, error: 'HTTP 502' },
    { type: 'ROLLBACK_FAILED', at: startedAt + DEFAULT_PARK_AFTER_MS - 1, error: 'HTTP 502' },
    { type: 'ROLLBACK_FAILED', at: startedAt + DEFAULT_PARK_AFTER_MS, error: 'HTTP 502' },
    { type: 'MANUAL_RESOLVED', at: startedAt + DEFAULT_PARK_AFTER_MS + 1, resolution: 'cancelled' },
    { type: 'MANUAL_RESOLVED', at: startedAt + DEFAULT_PARK_AFTER_MS + 1, resolution: 'debited' },
  ];
}

// Retry counters grow without bound; capping them keeps the graph finite while still
// covering "first retry" and "a retry after a retry".
const serializeState = (snapshot: BetSnapshot) =>
  JSON.stringify({
    value: snapshot.value,
    win: snapshot.context.win,
    creditAttempts: Math.min(snapshot.context.creditAttempts, 2),
    rollbackAttempts: Math.min(snapshot.context.rollbackAttempts, 2),
  });

interface SpecStep {
  to: BetStatus;
  events: BetEventType[];
  effects: BetEffectType[];
}

/** SPEC §4 and §7 as a table: what an event must do in a state, or null if it is ignored. */
function specStep(from: BetStatus, event: BetEvent, bet: BetSnapshot['context']): SpecStep | null {
  switch (`${from} ${event.type}`) {
    case 'debiting DEBIT_SUCCEEDED':
      return bet.win
        ? { to: 'crediting', events: ['wallet.debited'], effects: ['requestCredit'] }
        : { to: 'lost', events: ['wallet.debited', 'bet.lost'], effects: [] };
    case 'debiting DEBIT_REFUSED':
      // SPEC §6: a refusal after an unknown attempt is not final; the wallet may hold that attempt.
      return event.type === 'DEBIT_REFUSED' && event.afterUnknown
        ? { to: 'rolling_back', events: ['wallet.debit_failed'], effects: ['requestRollback'] }
        : { to: 'rejected', events: ['wallet.debit_failed', 'bet.rejected'], effects: [] };
    case 'debiting DEBIT_FAILED':
      return { to: 'rolling_back', events: ['wallet.debit_failed'], effects: ['requestRollback'] };
    case 'crediting CREDIT_SUCCEEDED':
      return { to: 'won', events: ['wallet.credited', 'bet.won'], effects: [] };
    case 'crediting CREDIT_FAILED':
      return {
        to: 'credit_pending',
        events: ['wallet.credit_failed', 'settlement.deferred'],
        effects: ['requestCredit'],
      };
    case 'credit_pending CREDIT_SUCCEEDED':
      return { to: 'won', events: ['wallet.credited', 'settlement.completed', 'bet.won'], effects: [] };
    case 'credit_pending CREDIT_FAILED':
      return { to: 'credit_pending', events: ['wallet.credit_failed'], effects: ['requestCredit'] };
    case 'crediting CREDIT_REFUSED':
      return { to: 'credit_parked', events: ['wallet.credit_failed', 'settlement.deferred', 'bet.parked'], effects: ['alertParked'] };
    case 'credit_pending CREDIT_REFUSED':
      return { to: 'credit_parked', events: ['wallet.credit_failed', 'bet.parked'], effects: ['alertParked'] };
    case 'credit_parked CREDIT_SUCCEEDED':
      return { to: 'won', events: ['wallet.credited', 'settlement.completed', 'bet.won'], effects: [] };
    case 'rolling_back ROLLBACK_SUCCEEDED':
    case 'parked ROLLBACK_SUCCEEDED':
      return { to: 'cancelled', events: ['wallet.rolled_back', 'bet.cancelled'], effects: [] };
    case 'rolling_back ROLLBACK_FAILED':
      return event.at - (bet.rollbackStartedAt ?? Infinity) >= bet.parkAfterMs
        ? { to: 'parked', events: ['bet.parked'], effects: ['alertParked'] }
        : { to: 'rolling_back', events: [], effects: ['requestRollback'] };
    case 'parked MANUAL_RESOLVED':
      if (event.type === 'MANUAL_RESOLVED' && event.resolution === 'cancelled') {
        return { to: 'cancelled', events: ['bet.cancelled'], effects: [] };
      }
      return bet.win
        ? { to: 'crediting', events: ['wallet.debited'], effects: ['requestCredit'] }
        : { to: 'lost', events: ['wallet.debited', 'bet.lost'], effects: [] };
    default:
      return null;
  }
}

const machineStates = Object.keys(betMachine.root.states).sort();

interface Replay {
  input: BetInput;
  events: BetEvent[];
  steps: BetStep[];
}

function replay(input: BetInput, events: BetEvent[]): Replay {
  const steps = [startBet(input)];
  for (const event of events) {
    const previous = steps.at(-1)!;
    // Exactly what the runtime does: the stored JSON, not the live snapshot.
    steps.push(advanceBet(JSON.parse(JSON.stringify(previous.persisted)), event));
  }
  return { input, events, steps };
}

function generatedPaths(input: BetInput) {
  const options = { input, events: eventsFor, serializeState };
  const simple = getSimplePaths(betMachine, options);
  const shortest = getShortestPaths(betMachine, options);
  return [...simple, ...shortest].map((path) => ({
    endsIn: path.state.value as BetStatus,
    // The first step of every path is XState's own init event; the runtime's is startBet.
    events: path.steps.slice(1).map((step) => step.event),
  }));
}

const paths = [winningBet, losingBet].flatMap((input) =>
  generatedPaths(input).map((path) => ({ ...path, replay: replay(input, path.events) })),
);

test('the machine has exactly the states of SPEC §4 (plus parked and credit_parked)', (t) => {
  t.deepEqual(machineStates, [...BET_STATES].sort());
});

test('the generated paths reach every state of the machine', (t) => {
  t.true(paths.length > 20, `only ${paths.length} paths`);
  const reached = new Set(paths.map((path) => path.endsIn));
  t.deepEqual([...reached].sort(), machineStates);
});

test('the generated paths take every transition SPEC §4 allows, on wins and losses', (t) => {
  const taken = new Set<string>();
  for (const { replay: run } of paths) {
    run.events.forEach((event, i) => {
      taken.add(`${run.input.win} ${run.steps[i]!.status} ${event.type} ${run.steps[i + 1]!.status}`);
    });
  }
  const expected = [
    'true debiting DEBIT_SUCCEEDED crediting',
    'false debiting DEBIT_SUCCEEDED lost',
    'true debiting DEBIT_REFUSED rejected',
    'false debiting DEBIT_REFUSED rejected',
    'true debiting DEBIT_REFUSED rolling_back',
    'false debiting DEBIT_REFUSED rolling_back',
    'true debiting DEBIT_FAILED rolling_back',
    'false debiting DEBIT_FAILED rolling_back',
    'true crediting CREDIT_SUCCEEDED won',
    'true crediting CREDIT_FAILED credit_pending',
    'true credit_pending CREDIT_FAILED credit_pending',
    'true credit_pending CREDIT_SUCCEEDED won',
    'true crediting CREDIT_REFUSED credit_parked',
    'true credit_pending CREDIT_REFUSED credit_parked',
    'true credit_parked CREDIT_SUCCEEDED won',
    'true rolling_back ROLLBACK_SUCCEEDED cancelled',
    'true rolling_back ROLLBACK_FAILED rolling_back',
    'true rolling_back ROLLBACK_FAILED parked',
    'false rolling_back ROLLBACK_FAILED parked',
    'true parked ROLLBACK_SUCCEEDED cancelled',
    'false parked ROLLBACK_SUCCEEDED cancelled',
    'true parked MANUAL_RESOLVED cancelled',
    'false parked MANUAL_RESOLVED cancelled',
    'true parked MANUAL_RESOLVED crediting',
    'false parked MANUAL_RESOLVED lost',
  ];
  for (const transition of expected) t.true(taken.has(transition), transition);
});

test('every generated path replays through startBet/advanceBet exactly as SPEC §4 and §7 say', (t) => {
  for (const { replay: run, endsIn } of paths) {
    const [start, ...rest] = run.steps;
    t.is(start!.status, 'debiting');
    t.deepEqual(start!.events, ['bet.placed']);
    t.deepEqual(start!.effects, [{ type: 'requestDebit', params: { betId: run.input.betId, amount: 1000, attempt: 1 } }]);
    rest.forEach((step, i) => {
      const before = run.steps[i]!;
      const event = run.events[i]!;
      const spec = specStep(before.status, event, before.snapshot.context);
      const where = `${before.status} + ${JSON.stringify(event)}`;
      t.not(spec, null, `${where}: the graph took a transition SPEC does not allow`);
      t.true(step.changed, where);
      t.is(step.status, spec!.to, where);
      t.deepEqual(step.events, spec!.events, where);
      t.deepEqual(
        step.effects.map((effect) => effect.type),
        spec!.effects,
        where,
      );
      t.is(step.snapshot.context.transitions, before.snapshot.context.transitions + 1, where);
    });
    t.is(run.steps.at(-1)!.status, endsIn);
  }
});

test('on every path: one debit at most, credit only after a debit that stood on a win, rollback only after an unknown debit', (t) => {
  for (const { replay: run } of paths) {
    const effects = run.steps.flatMap((step, i) => step.effects.map((effect) => ({ effect, after: run.events.slice(0, i) })));
    t.is(effects.filter(({ effect }) => effect.type === 'requestDebit').length, 1);
    for (const { effect, after } of effects) {
      const debitStood = after.some(
        (event) =>
          event.type === 'DEBIT_SUCCEEDED' || (event.type === 'MANUAL_RESOLVED' && event.resolution === 'debited'),
      );
      if (effect.type === 'requestCredit') {
        t.true(run.input.win && debitStood, 'credit requested without a debit that stood on a win');
        t.is(effect.params.amount, run.input.payout);
      }
      if (effect.type === 'requestRollback') {
        t.true(
          after.some((event) => event.type === 'DEBIT_FAILED' || (event.type === 'DEBIT_REFUSED' && event.afterUnknown)),
          'rollback requested without a debit whose result is unknown',
        );
        t.false(debitStood);
        t.is(effect.params.amount, run.input.amount);
      }
      if (effect.type === 'requestDebit') t.is(effect.params.amount, run.input.amount);
    }
    const moneyEvents = run.steps.flatMap((step) => step.events);
    t.true(moneyEvents.filter((type) => type === 'wallet.debited').length <= 1);
    t.true(moneyEvents.filter((type) => type === 'wallet.credited').length <= 1);
    t.true(moneyEvents.filter((type) => type.startsWith('bet.') && type !== 'bet.placed' && type !== 'bet.parked').length <= 1);
  }
});

test('each state accepts exactly the events SPEC allows, and an ignored event changes nothing', (t) => {
  for (const { replay: run } of paths) {
    for (const step of run.steps) {
      for (const event of eventsFor(step.snapshot)) {
        const accepted = specStep(step.status, event, step.snapshot.context) !== null;
        const next = advanceBet(step.persisted, event);
        t.is(next.changed, accepted, `${step.status} + ${event.type}`);
        t.is(canAccept(step.snapshot, event), accepted, `${step.status} + ${event.type}`);
        if (!accepted) {
          t.deepEqual(next.persisted, step.persisted);
          t.deepEqual(next.effects, []);
          t.deepEqual(next.events, []);
        }
        if (isFinalBetStatus(step.status)) t.false(next.changed);
      }
    }
  }
});

test('final states are final, and neither parked state is', (t) => {
  for (const { replay: run } of paths) {
    const last = run.steps.at(-1)!;
    t.is(last.snapshot.status === 'done', (FINAL_BET_STATES as readonly string[]).includes(last.status));
  }
});

test('every persisted snapshot on every path survives JSON and restores to the same value and context', (t) => {
  for (const { replay: run } of paths) {
    for (const step of run.steps) {
      const restored = restoreBetSnapshot(JSON.parse(JSON.stringify(step.persisted)));
      t.is(restored.value, step.snapshot.value);
      t.deepEqual(restored.context, step.snapshot.context);
      t.is(restored.status, step.snapshot.status);
      // What is stored is exactly what XState persists for this machine.
      t.deepEqual(JSON.parse(JSON.stringify(step.persisted)), JSON.parse(JSON.stringify(betMachine.getPersistedSnapshot(step.snapshot))));
    }
  }
});

test('a bet advanced live in the process that started it takes exactly the steps of one restored from storage, on every path', (t) => {
  const shown = (step: BetStep) => ({ changed: step.changed, status: step.status, persisted: step.persisted, effects: step.effects, events: step.events });
  for (const { replay: run } of paths) {
    // What a runner that keeps the step it stored does: the same object, no JSON in between.
    const live = [startBet(run.input)];
    for (const event of run.events) live.push(advanceBet(live.at(-1)!.persisted, event));
    t.deepEqual(live.map(shown), run.steps.map(shown), run.events.map((event) => event.type).join(' → '));
  }
});
