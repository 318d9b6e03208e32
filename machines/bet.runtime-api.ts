import { createActor, transition, type Actor, type ExecutableActionsFrom, type SnapshotFrom } from 'xstate';
import {
  betMachine,
  type BetContext,
  type BetEffect,
  type BetEvent,
  type BetEventType,
  type BetInput,
  type BetStatus,
} from './bet.machine.ts';

/**
 * What the runtime uses to drive a bet: it stores `persisted` (JSON) with the bet row,
 * writes `events` in the same transaction and performs `effects` after the commit.
 * Through XState's public API only: a bet's first step runs an actor whose actions
 * record what they are asked to do, and the next steps either send the event to that
 * actor, still live in this process, or restore the stored snapshot and call the pure
 * `transition` (see "live actors" below; `npm run bench:machine`, docs/performance.md).
 */

export type BetSnapshot = SnapshotFrom<typeof betMachine>;
type BetAction = ExecutableActionsFrom<typeof betMachine>;

/**
 * XState's persisted snapshot of this machine (what `getPersistedSnapshot` returns). Read
 * back from storage, it is checked before it comes here (src/modules/bets/stored-snapshot.ts):
 * the machine imports nothing but xstate.
 */
export interface PersistedBetSnapshot {
  status: 'active' | 'done';
  value: BetStatus;
  context: BetContext;
  historyValue?: Record<string, never>;
  children?: Record<string, never>;
}

/** Throws unless `input` is a bet the machine can start: whole minor units, a payout exactly when it wins. */
function checkInput(input: BetInput): void {
  const whole = (value: number) => Number.isSafeInteger(value) && value >= 0;
  if (typeof input.betId !== 'string' || input.betId.length === 0) throw new Error('bet input: betId is required');
  if (!whole(input.amount) || input.amount < 1) throw new Error('bet input: amount must be a whole number of minor units ≥ 1');
  if (!whole(input.payout)) throw new Error('bet input: payout must be a whole number of minor units ≥ 0');
  if (input.win !== input.payout > 0) throw new Error('bet input: payout must be > 0 on a win and 0 on a loss');
  if (input.parkAfterMs !== undefined && !whole(input.parkAfterMs)) throw new Error('bet input: parkAfterMs must be a whole number ≥ 0');
}


export interface BetStep {
  /** False when the event was not accepted: store nothing, emit nothing, do nothing. */
  changed: boolean;
  snapshot: BetSnapshot;
  /** JSON-safe; store it as is (e.g. jsonb) and give it back to `advanceBet`. */
  persisted: PersistedBetSnapshot;
  status: BetStatus;
  /** Wallet calls and alerts to perform after commit, in order. */
  effects: BetEffect[];
  /** §7 event types to record in the same transaction as the snapshot, in order. */
  events: BetEventType[];
}

export function betStatus(snapshot: BetSnapshot | PersistedBetSnapshot): BetStatus {
  return snapshot.value as BetStatus;
}

/**
 * Rebuilds a live snapshot from a persisted one. The machine has no children and no
 * history states, so value + context is its whole state and `resolveState` is the v5 way
 * to get a live snapshot back without an actor.
 */
export function restoreBetSnapshot(persisted: PersistedBetSnapshot): BetSnapshot {
  return betMachine.resolveState({ value: persisted.value, context: persisted.context });
}

/** True if `event` would change the bet; false e.g. in any final state. */
export function canAccept(snapshot: BetSnapshot, event: BetEvent): boolean {
  return snapshot.can(event);
}

// A bet settled in this process keeps a live actor between its steps: XState's pure
// `transition` builds (and drops) a throwaway actor on every call, whose constructor
// computes a whole initial state (~30 µs), where a running actor takes an event in
// ~10 µs (a won bet: ~100 → ~47 µs of CPU, `npm run bench:machine`). The actor is found by
// the persisted snapshot object this module handed out for the step, so only the exact
// state the caller holds (and stored) is ever advanced live; any other snapshot, e.g. one
// read back from the database, is restored and advanced with the pure functions. The
// actor runs the machine provided with actions that record what they are asked to do:
// the same actions, in the same order, as `transition` returns (bet.paths.test.ts checks
// both ways on every path).

type BetActionRecord = { type: string; params: unknown };

/** The actions of the event being taken by a live actor, in order (set only during `take`). */
let recording: BetActionRecord[] | undefined;
const record = (type: string) => (_: unknown, params: unknown) => {
  recording?.push({ type, params });
};
const recordingMachine = betMachine.provide({
  actions: {
    emitEvent: record('emitEvent'),
    requestDebit: record('requestDebit'),
    requestCredit: record('requestCredit'),
    requestRollback: record('requestRollback'),
    alertParked: record('alertParked'),
  },
});
type LiveBet = Actor<typeof recordingMachine>;

/** Live actors by the persisted snapshot of the step they are at. Weak: a step dropped drops its actor. */
const liveBets = new WeakMap<PersistedBetSnapshot, LiveBet>();

/** Runs `act` on the actor and answers the actions it recorded; a machine error is thrown here, as `transition` would. */
function take(actor: LiveBet, act: () => void): BetAction[] {
  recording = [];
  let actions: BetActionRecord[];
  try {
    act();
  } finally {
    actions = recording;
    recording = undefined;
  }
  const snapshot = actor.getSnapshot();
  if (snapshot.status === 'error') throw snapshot.error;
  return actions as unknown as BetAction[];
}

/** The step, keeping its actor live for the next event unless the bet is done. */
function keepLive(step: BetStep, actor: LiveBet): BetStep {
  if (step.snapshot.status === 'active') liveBets.set(step.persisted, actor);
  return step;
}

/** The first transition of a new bet: effects `[requestDebit]`, events `['bet.placed']`. */
export function startBet(input: BetInput): BetStep {
  checkInput(input);
  const actor = createActor(recordingMachine, { input });
  // An error in the machine is read from the snapshot and thrown by `take`; without an
  // observer XState would also rethrow it later, outside any caller.
  actor.subscribe({ error: () => undefined });
  const actions = take(actor, () => actor.start());
  return keepLive(toStep(true, actor.getSnapshot(), actions), actor);
}

/**
 * Feeds one event to a bet at the step `persisted`. An event the current state does not
 * accept leaves it exactly as it was (`changed: false`, no effects, no events), so a
 * duplicate job result or a late message is harmless.
 */
export function advanceBet(persisted: PersistedBetSnapshot, event: BetEvent): BetStep {
  const actor = liveBets.get(persisted);
  if (actor) {
    // Taken out first: were the step not stored (another runner moved the bet on), the
    // caller's next try starts again from what it reads back.
    liveBets.delete(persisted);
    const before = actor.getSnapshot();
    const actions = take(actor, () => actor.send(event));
    const after = actor.getSnapshot();
    if (after.context.transitions === before.context.transitions) {
      liveBets.set(persisted, actor);
      return toStep(false, before, []);
    }
    return keepLive(toStep(true, after, actions), actor);
  }
  const before = restoreBetSnapshot(persisted);
  const [after, actions] = transition(betMachine, before, event);
  if (after.context.transitions === before.context.transitions) {
    return toStep(false, before, []);
  }
  return toStep(true, after, actions);
}

/**
 * What XState's `getPersistedSnapshot` gives for this machine (no children, no history
 * states), built directly: ~0.3 µs instead of ~2 µs for that call, whose untyped result
 * would also need a cast or a zod parse, for data the machine itself just produced. The
 * context is copied, so the stored object never aliases the live snapshot's.
 * `bet.paths.test.ts` checks on every path that this equals what `getPersistedSnapshot`
 * returns.
 */
function persistedOf(snapshot: BetSnapshot): PersistedBetSnapshot {
  return {
    status: snapshot.status === 'done' ? 'done' : 'active',
    value: betStatus(snapshot),
    historyValue: {},
    context: { ...snapshot.context },
    children: {},
  };
}

function toStep(changed: boolean, snapshot: BetSnapshot, actions: readonly BetAction[]): BetStep {
  const effects: BetEffect[] = [];
  const events: BetEventType[] = [];
  for (const action of actions) {
    switch (action.type) {
      case 'emitEvent':
        events.push((action.params as { type: BetEventType }).type);
        break;
      case 'requestDebit':
      case 'requestCredit':
      case 'requestRollback':
      case 'alertParked':
        effects.push({ type: action.type, params: action.params } as BetEffect);
        break;
      default:
        // Every action of the machine is listed above; anything else is a machine bug.
        throw new Error(`bet machine produced an unknown action: ${action.type}`);
    }
  }
  return {
    changed,
    snapshot,
    persisted: persistedOf(snapshot),
    status: betStatus(snapshot),
    effects,
    events,
  };
}
