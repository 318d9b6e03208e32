import { createActor, type AnyActorScope, type ExecutableActionObject, type SnapshotFrom } from 'xstate';
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
 * Built on the machine's pure transition functions, so nothing here runs an actor.
 */

export type BetSnapshot = SnapshotFrom<typeof betMachine>;

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

// XState's `initialTransition`/`transition` helpers create a throwaway actor for every call,
// and that actor's constructor computes a whole initial state first: ~20 of the ~28 µs a
// call costs. They then call the machine's own `getInitialSnapshot`/`transition` with an
// inert scope that only collects the actions to execute. This machine spawns no children,
// schedules nothing and emits nothing, so one such scope, made once, serves every call;
// each call gets its own array (calls are synchronous, so they never interleave).
// Never started; its input only satisfies the constructor's initial state.
const inertActor = createActor(betMachine, { input: { betId: 'inert', amount: 1, payout: 0, win: false } });
let collecting: ExecutableActionObject[] = [];
const inertScope: AnyActorScope = {
  self: inertActor,
  system: inertActor.system,
  id: '',
  sessionId: '',
  logger: () => {},
  defer: () => {},
  emit: () => {},
  stopChild: () => {},
  actionExecutor: (action) => {
    collecting.push(action);
  },
};

function collectingActions(run: () => BetSnapshot): [BetSnapshot, ExecutableActionObject[]] {
  const actions: ExecutableActionObject[] = [];
  collecting = actions;
  try {
    return [run(), actions];
  } finally {
    collecting = [];
  }
}

/** The first transition of a new bet: effects `[requestDebit]`, events `['bet.placed']`. */
export function startBet(input: BetInput): BetStep {
  const checked = betInputSchema.parse(input);
  const [snapshot, actions] = collectingActions(() => betMachine.getInitialSnapshot(inertScope, checked));
  return toStep(true, snapshot, actions);
}

/**
 * Feeds one event to a stored bet. An event the current state does not accept leaves it
 * exactly as it was (`changed: false`, no effects, no events), so a duplicate job result
 * or a late message is harmless.
 */
export function advanceBet(persisted: unknown, event: BetEvent): BetStep {
  const before = restoreBetSnapshot(persisted);
  const [after, actions] = collectingActions(() => betMachine.transition(before, event, inertScope));
  if (after.context.transitions === before.context.transitions) {
    return toStep(false, before, []);
  }
  return toStep(true, after, actions);
}

/**
 * What XState's `getPersistedSnapshot` gives for this machine (no children, no history
 * states), built directly: that call and a zod parse of its result were a fifth of a
 * transition's cost, for data the machine itself just produced. The context is copied,
 * so the stored object never aliases the live snapshot's. `bet.paths.test.ts` checks on
 * every path that this equals what `getPersistedSnapshot` returns.
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

function toStep(changed: boolean, snapshot: BetSnapshot, actions: readonly ExecutableActionObject[]): BetStep {
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
