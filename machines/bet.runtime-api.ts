import { initialTransition, transition, type ExecutableActionsFrom, type SnapshotFrom } from 'xstate';
import { z } from 'zod';
import {
  BET_STATES,
  betMachine,
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

const safeAmount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const betInputSchema = z
  .object({
    betId: z.string().min(1),
    amount: safeAmount.min(1),
    payout: safeAmount,
    win: z.boolean(),
    parkAfterMs: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((input) => input.win === input.payout > 0, {
    message: 'payout must be > 0 on a win and 0 on a loss',
    path: ['payout'],
  });

const betContextSchema = z
  .object({
    betId: z.string().min(1),
    amount: safeAmount.min(1),
    payout: safeAmount,
    win: z.boolean(),
    parkAfterMs: z.number().int().min(0),
    transitions: z.number().int().min(0),
    rejectReason: z.string().nullable(),
    lastError: z.string().nullable(),
    rollbackStartedAt: z.number().nullable(),
    creditAttempts: z.number().int().min(0),
    rollbackAttempts: z.number().int().min(0),
    manualResolution: z.enum(['cancelled', 'debited']).nullable(),
  })
  .strict();

/** XState's persisted snapshot of this machine (what `getPersistedSnapshot` returns). */
const persistedBetSnapshotSchema = z.object({
  status: z.enum(['active', 'done']),
  value: z.enum(BET_STATES),
  context: betContextSchema,
  historyValue: z.object({}).optional(),
  children: z.object({}).optional(),
});

export type PersistedBetSnapshot = z.infer<typeof persistedBetSnapshotSchema>;

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
 * Rebuilds a snapshot from stored JSON (a string or the parsed object). The machine has
 * no children and no history states, so value + context is its whole state and
 * `resolveState` is the v5 way to get a live snapshot back without an actor.
 * Throws a ZodError if the JSON is not a bet snapshot.
 */
export function restoreBetSnapshot(json: unknown): BetSnapshot {
  const raw: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  const persisted = persistedBetSnapshotSchema.parse(raw);
  return betMachine.resolveState({ value: persisted.value, context: persisted.context });
}

/** True if `event` would change the bet; false e.g. in any final state. */
export function canAccept(snapshot: BetSnapshot, event: BetEvent): boolean {
  return snapshot.can(event);
}

/** The first transition of a new bet: effects `[requestDebit]`, events `['bet.placed']`. */
export function startBet(input: BetInput): BetStep {
  const checked = betInputSchema.parse(input);
  const [snapshot, actions] = initialTransition(betMachine, checked);
  return toStep(true, snapshot, actions);
}

/**
 * Feeds one event to a stored bet. An event the current state does not accept leaves it
 * exactly as it was (`changed: false`, no effects, no events), so a duplicate job result
 * or a late message is harmless.
 */
export function advanceBet(persisted: unknown, event: BetEvent): BetStep {
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
