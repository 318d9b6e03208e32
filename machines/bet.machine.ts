import { assign, setup } from 'xstate';

/**
 * The bet actor (SPEC §4). It only decides: every wallet call and every §7 event is a
 * named action with params, which the runtime performs *after* committing the snapshot
 * (STYLE habit 4). The outcome (win, payout) is fixed before the debit is sent (§5),
 * so it is input, never something the wallet's answer can change.
 *
 * Every event carries `at` (unix ms) so the park bound is a pure guard on event data:
 * the machine never reads a clock and has no timers.
 */

/** Six hours: how long a rollback may keep failing before a person has to look (§4). */
export const DEFAULT_PARK_AFTER_MS = 6 * 60 * 60 * 1000;

export const BET_STATES = [
  'debiting',
  'crediting',
  'credit_pending',
  'rolling_back',
  'parked',
  'credit_parked',
  'won',
  'lost',
  'rejected',
  'cancelled',
] as const;
export type BetStatus = (typeof BET_STATES)[number];

export const FINAL_BET_STATES = ['won', 'lost', 'rejected', 'cancelled'] as const;
export type FinalBetStatus = (typeof FINAL_BET_STATES)[number];

export function isFinalBetStatus(status: BetStatus): status is FinalBetStatus {
  return (FINAL_BET_STATES as readonly BetStatus[]).includes(status);
}

/**
 * True once the player's money is decided, which is when POST /bets answers 201 (§3):
 * every final state, `credit_pending` (the win is owed and the outbox will pay it) and
 * `credit_parked` (the win is owed and an operator will have it paid).
 */
export function isMoneyDecided(status: BetStatus): boolean {
  return isFinalBetStatus(status) || status === 'credit_pending' || status === 'credit_parked';
}

/**
 * The states a bet can only be in once the wallet applied its debit: the stake is taken,
 * so the outcome may be shown (SPEC §5). Before that — `debiting`, or a debit that was
 * refused or rolled back — the outcome must stay secret, or a wallet could look the bet
 * up and refuse only the debits of winning bets.
 */
export const DEBIT_APPLIED_STATES = ['crediting', 'credit_pending', 'credit_parked', 'won', 'lost'] as const;

export function isDebitApplied(status: BetStatus): boolean {
  return (DEBIT_APPLIED_STATES as readonly BetStatus[]).includes(status);
}

/**
 * Parked for an operator (§4: never dropped, visible in the API and a metric): a rollback
 * that kept failing (`parked`), or a credit the wallet refused (`credit_parked`: the win
 * is owed, and asking again on its own would either be refused forever or, if the wallet
 * is wrong, never stop). Neither is final, so seed rotation waits for them.
 */
export const PARKED_BET_STATES = ['parked', 'credit_parked'] as const;

export function isParkedBetStatus(status: BetStatus): boolean {
  return (PARKED_BET_STATES as readonly BetStatus[]).includes(status);
}

/** The wallet calls of a bet (SPEC §4/§6); each has its transaction id `<betId>:<step>` and its job queue. */
export const WALLET_STEPS = ['debit', 'credit', 'rollback'] as const;
export type WalletStep = (typeof WALLET_STEPS)[number];

/**
 * The wallet step each non-final state waits on: the call whose answer moves the bet on.
 * A parked state's step runs only when an operator forces it (POST /outbox/:id/retry).
 */
const STEP_OF_STATE: Partial<Record<BetStatus, WalletStep>> = {
  debiting: 'debit',
  crediting: 'credit',
  credit_pending: 'credit',
  credit_parked: 'credit',
  rolling_back: 'rollback',
  parked: 'rollback',
};

/** The wallet step a bet in this state waits on; undefined for a final state. */
export function stepOf(status: BetStatus): WalletStep | undefined {
  return STEP_OF_STATE[status];
}

/**
 * The states whose step runs on its own — the runtime's backoff jobs and the sweeper:
 * every state with a step but the parked ones, which wait for a person.
 */
export const SCHEDULED_STEP_STATES: readonly BetStatus[] = BET_STATES.filter((status) => stepOf(status) !== undefined && !isParkedBetStatus(status));

export interface BetInput {
  betId: string;
  /** Stake in minor units. */
  amount: number;
  /** Total credited on a win (stake included), minor units; 0 on a loss. */
  payout: number;
  win: boolean;
  /** Rollback failures for longer than this park the bet. Default {@link DEFAULT_PARK_AFTER_MS}. */
  parkAfterMs?: number;
}

type ManualResolution = 'cancelled' | 'debited';

export interface BetContext {
  betId: string;
  amount: number;
  payout: number;
  win: boolean;
  parkAfterMs: number;
  /** Accepted transitions so far (self-transitions included); unchanged = event ignored. */
  transitions: number;
  /** The wallet's refusal code (DEBIT_REFUSED, when it rejects the bet). */
  rejectReason: string | null;
  /** The last wallet error reported by a *_FAILED event, or the code of a refusal that did not reject the bet. */
  lastError: string | null;
  /** `at` of the DEBIT_FAILED that started the rollback; the park bound counts from it. */
  rollbackStartedAt: number | null;
  /** Failed or refused credit calls so far. */
  creditAttempts: number;
  /** Failed rollback calls so far. */
  rollbackAttempts: number;
  manualResolution: ManualResolution | null;
}

export type BetEvent =
  | { type: 'DEBIT_SUCCEEDED'; at: number }
  /**
   * A definitive 4xx. `afterUnknown`: an earlier attempt of this debit ended without an
   * answer we could read (timeout, 5xx, cut connection), so the wallet may hold that
   * attempt whatever this one says (SPEC §6): the refusal is not final.
   */
  | { type: 'DEBIT_REFUSED'; at: number; code: string; afterUnknown: boolean }
  | { type: 'DEBIT_FAILED'; at: number; error: string }
  | { type: 'CREDIT_SUCCEEDED'; at: number }
  | { type: 'CREDIT_FAILED'; at: number; error: string }
  /** A definitive 4xx to a credit, first attempt or retry. */
  | { type: 'CREDIT_REFUSED'; at: number; code: string }
  | { type: 'ROLLBACK_SUCCEEDED'; at: number }
  | { type: 'ROLLBACK_FAILED'; at: number; error: string }
  | { type: 'MANUAL_RESOLVED'; at: number; resolution: ManualResolution };

/** §7 event types this machine reports, plus `bet.parked`. */
export type BetEventType =
  | 'bet.placed'
  | 'wallet.debited'
  | 'wallet.debit_failed'
  | 'bet.rejected'
  | 'bet.won'
  | 'bet.lost'
  | 'wallet.credited'
  | 'wallet.credit_failed'
  | 'settlement.deferred'
  | 'settlement.completed'
  | 'wallet.rolled_back'
  | 'bet.cancelled'
  | 'bet.parked';

/**
 * `attempt` numbers the call for this bet and kind (1 = first). The wallet transactionId
 * must not depend on it (§4: every retry is the same wallet transaction); it is there so
 * the runtime can pick a backoff delay.
 */
export interface WalletCallParams {
  betId: string;
  amount: number;
  attempt: number;
}

export interface AlertParkedParams {
  betId: string;
  /** The wallet call that is stuck: a rollback (state `parked`) or a credit (`credit_parked`). */
  step: 'rollback' | 'credit';
  /** That call's amount: the stake for a rollback, the payout for a credit. */
  amount: number;
  /** That call's failed or refused attempts so far. */
  attempts: number;
  lastError: string | null;
}

/** The effects the runtime performs after commit, in order. */
export type BetEffect =
  | { type: 'requestDebit'; params: WalletCallParams }
  | { type: 'requestCredit'; params: WalletCallParams }
  | { type: 'requestRollback'; params: WalletCallParams }
  | { type: 'alertParked'; params: AlertParkedParams };

export type BetEffectType = BetEffect['type'];

// Retries keep counting in `attempt` so the runtime can back off; `attempt` 1 is the first call.
const debitCall = (context: BetContext): WalletCallParams => ({
  betId: context.betId,
  amount: context.amount,
  attempt: 1,
});
const creditCall = (context: BetContext): WalletCallParams => ({
  betId: context.betId,
  amount: context.payout,
  attempt: context.creditAttempts + 1,
});
const rollbackCall = (context: BetContext): WalletCallParams => ({
  betId: context.betId,
  amount: context.amount,
  attempt: context.rollbackAttempts + 1,
});

const emit = (...types: BetEventType[]) =>
  types.map((type) => ({ type: 'emitEvent' as const, params: { type } }));

// A debit whose result is unknown, or refused after an unknown attempt, is rolled back;
// the park bound counts from here (§4).
const startRollback = ['countTransition', 'recordError', 'recordRollbackStart', ...emit('wallet.debit_failed')] as const;

// The implementations are deliberately empty: the runtime only uses the pure
// `initialTransition`/`transition`, which return these actions instead of running them.
export const betMachine = setup({
  types: {
    context: {} as BetContext,
    input: {} as BetInput,
    events: {} as BetEvent,
  },
  actions: {
    emitEvent: (_, _params: { type: BetEventType }) => {},
    requestDebit: (_, _params: WalletCallParams) => {},
    requestCredit: (_, _params: WalletCallParams) => {},
    requestRollback: (_, _params: WalletCallParams) => {},
    alertParked: (_, _params: AlertParkedParams) => {},
    countTransition: assign({ transitions: ({ context }) => context.transitions + 1 }),
    recordResolution: assign({
      manualResolution: ({ event }) => (event.type === 'MANUAL_RESOLVED' ? event.resolution : null),
    }),
    recordError: assign({
      lastError: ({ event }) => ('error' in event ? event.error : 'code' in event ? event.code : null),
    }),
    recordRollbackStart: assign({ rollbackStartedAt: ({ event }) => event.at }),
    countCreditAttempt: assign({ creditAttempts: ({ context }) => context.creditAttempts + 1 }),
  },
  guards: {
    isWin: ({ context }) => context.win,
    refusedAfterUnknown: ({ event }) => event.type === 'DEBIT_REFUSED' && event.afterUnknown,
    parkBoundReached: ({ context, event }) =>
      context.rollbackStartedAt !== null &&
      event.at - context.rollbackStartedAt >= context.parkAfterMs,
    resolvedCancelled: ({ event }) =>
      event.type === 'MANUAL_RESOLVED' && event.resolution === 'cancelled',
    resolvedDebitedWin: ({ context, event }) =>
      event.type === 'MANUAL_RESOLVED' && event.resolution === 'debited' && context.win,
    resolvedDebitedLoss: ({ context, event }) =>
      event.type === 'MANUAL_RESOLVED' && event.resolution === 'debited' && !context.win,
  },
}).createMachine({
  id: 'bet',
  initial: 'debiting',
  // XState's pure `initialTransition`/`transition` helpers (and tools built on them) make a
  // throwaway actor whose constructor computes an initial state with no input. Reading a
  // field of undefined there would throw a TypeError that XState catches, at the cost of a
  // stack trace per call; an empty context answers it instead. Real bets always have input.
  context: ({ input }: { input: BetInput | undefined }) => ({
    betId: input?.betId ?? '',
    amount: input?.amount ?? 0,
    payout: input?.payout ?? 0,
    win: input?.win ?? false,
    parkAfterMs: input?.parkAfterMs ?? DEFAULT_PARK_AFTER_MS,
    transitions: 0,
    rejectReason: null,
    lastError: null,
    rollbackStartedAt: null,
    creditAttempts: 0,
    rollbackAttempts: 0,
    manualResolution: null,
  }),
  states: {
    debiting: {
      // Only ever entered once (it is initial and nothing targets it): at most one debit.
      entry: [
        ...emit('bet.placed'),
        { type: 'requestDebit', params: ({ context }) => debitCall(context) },
      ],
      on: {
        DEBIT_SUCCEEDED: [
          { guard: 'isWin', target: 'crediting', actions: ['countTransition', ...emit('wallet.debited')] },
          { target: 'lost', actions: ['countTransition', ...emit('wallet.debited', 'bet.lost')] },
        ],
        DEBIT_REFUSED: [
          {
            // An earlier attempt may stand in the wallet although this one was refused
            // (a gateway's 404 during a deploy, a 409): the same as an unknown result.
            guard: 'refusedAfterUnknown',
            target: 'rolling_back',
            actions: startRollback,
          },
          {
            target: 'rejected',
            actions: [
              'countTransition',
              assign({ rejectReason: ({ event }) => event.code }),
              ...emit('wallet.debit_failed', 'bet.rejected'),
            ],
          },
        ],
        DEBIT_FAILED: {
          // Unknown result: the money may have moved, so it must be rolled back (§4).
          target: 'rolling_back',
          actions: startRollback,
        },
      },
    },
    crediting: {
      entry: { type: 'requestCredit', params: ({ context }) => creditCall(context) },
      on: {
        CREDIT_SUCCEEDED: {
          target: 'won',
          actions: ['countTransition', ...emit('wallet.credited', 'bet.won')],
        },
        CREDIT_FAILED: {
          target: 'credit_pending',
          actions: [
            'countTransition',
            'recordError',
            'countCreditAttempt',
            ...emit('wallet.credit_failed', 'settlement.deferred'),
          ],
        },
        CREDIT_REFUSED: {
          target: 'credit_parked',
          actions: [
            'countTransition',
            'recordError',
            'countCreditAttempt',
            ...emit('wallet.credit_failed', 'settlement.deferred', 'bet.parked'),
          ],
        },
      },
    },
    credit_pending: {
      // The outbox: money owed is paid whatever it takes, so there is no way out but a credit.
      entry: { type: 'requestCredit', params: ({ context }) => creditCall(context) },
      on: {
        CREDIT_SUCCEEDED: {
          target: 'won',
          actions: ['countTransition', ...emit('wallet.credited', 'settlement.completed', 'bet.won')],
        },
        CREDIT_FAILED: {
          actions: [
            'countTransition',
            'recordError',
            'countCreditAttempt',
            ...emit('wallet.credit_failed'),
            { type: 'requestCredit', params: ({ context }) => creditCall(context) },
          ],
        },
        CREDIT_REFUSED: {
          target: 'credit_parked',
          actions: ['countTransition', 'recordError', 'countCreditAttempt', ...emit('wallet.credit_failed', 'bet.parked')],
        },
      },
    },
    credit_parked: {
      // The wallet refused a credit it owes. Asking again on our own would most likely be
      // refused again, and a refusal after an unknown attempt may hide a credit already
      // paid: a person looks, then forces the retry (POST /outbox/:id/retry). Only a credit
      // that lands leaves this state; a forced retry that fails again leaves it parked.
      entry: {
        type: 'alertParked',
        params: ({ context }) => ({
          betId: context.betId,
          step: 'credit' as const,
          amount: context.payout,
          attempts: context.creditAttempts,
          lastError: context.lastError,
        }),
      },
      on: {
        CREDIT_SUCCEEDED: {
          target: 'won',
          actions: ['countTransition', ...emit('wallet.credited', 'settlement.completed', 'bet.won')],
        },
      },
    },
    rolling_back: {
      entry: { type: 'requestRollback', params: ({ context }) => rollbackCall(context) },
      on: {
        ROLLBACK_SUCCEEDED: {
          target: 'cancelled',
          actions: ['countTransition', ...emit('wallet.rolled_back', 'bet.cancelled')],
        },
        ROLLBACK_FAILED: [
          {
            guard: 'parkBoundReached',
            target: 'parked',
            actions: [
              'countTransition',
              'recordError',
              assign({ rollbackAttempts: ({ context }) => context.rollbackAttempts + 1 }),
              ...emit('bet.parked'),
            ],
          },
          {
            actions: [
              'countTransition',
              'recordError',
              assign({ rollbackAttempts: ({ context }) => context.rollbackAttempts + 1 }),
              { type: 'requestRollback', params: ({ context }) => rollbackCall(context) },
            ],
          },
        ],
      },
    },
    parked: {
      // Never dropped (§4): it leaves only when a forced rollback works or an admin decides.
      entry: {
        type: 'alertParked',
        params: ({ context }) => ({
          betId: context.betId,
          step: 'rollback' as const,
          amount: context.amount,
          attempts: context.rollbackAttempts,
          lastError: context.lastError,
        }),
      },
      on: {
        ROLLBACK_SUCCEEDED: {
          target: 'cancelled',
          actions: ['countTransition', ...emit('wallet.rolled_back', 'bet.cancelled')],
        },
        MANUAL_RESOLVED: [
          {
            // The wallet has no debit standing: nothing to give back.
            guard: 'resolvedCancelled',
            target: 'cancelled',
            actions: ['countTransition', 'recordResolution', ...emit('bet.cancelled')],
          },
          {
            // The wallet confirms the debit stood: settle as if DEBIT_SUCCEEDED.
            guard: 'resolvedDebitedWin',
            target: 'crediting',
            actions: ['countTransition', 'recordResolution', ...emit('wallet.debited')],
          },
          {
            guard: 'resolvedDebitedLoss',
            target: 'lost',
            actions: ['countTransition', 'recordResolution', ...emit('wallet.debited', 'bet.lost')],
          },
        ],
      },
    },
    won: { type: 'final' },
    lost: { type: 'final' },
    rejected: { type: 'final' },
    cancelled: { type: 'final' },
  },
});
