import { initialTransition, transition, type ExecutableActionsFrom, type SnapshotFrom } from 'xstate';
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
 * Built on XState's public pure functions `initialTransition`/`transition`, which return
 * the next snapshot and the actions to perform instead of running an actor.
 *
 * Their price: each call builds (and drops) a throwaway actor, whose constructor computes
 * a whole initial state of the machine, so a call costs ~31–39 µs of CPU where calling
 * the machine with an actor scope of our own (XState internals) cost ~8–14 µs; a bet
 * makes 2–4 calls (`npm run bench:machine`, docs/performance.md). An actor restored from
 * the snapshot per call was only ~15 % cheaper, and it would turn a throwing guard into
 * an error snapshot reported asynchronously instead of an exception here.
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

/** The first transition of a new bet: effects `[requestDebit]`, events `['bet.placed']`. */
export function startBet(input: BetInput): BetStep {
  checkInput(input);
  const [snapshot, actions] = initialTransition(betMachine, input);
  return toStep(true, snapshot, actions);
}

/**
 * Feeds one event to a stored bet. An event the current state does not accept leaves it
 * exactly as it was (`changed: false`, no effects, no events), so a duplicate job result
 * or a late message is harmless.
 */
export function advanceBet(persisted: PersistedBetSnapshot, event: BetEvent): BetStep {
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
