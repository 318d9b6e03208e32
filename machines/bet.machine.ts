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
 * every final state, and `credit_pending` (the win is owed and the outbox will pay it).
 */
export function isMoneyDecided(status: BetStatus): boolean {
  return isFinalBetStatus(status) || status === 'credit_pending';
}

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
  /** The wallet's refusal code (DEBIT_REFUSED). */
  rejectReason: string | null;
  /** The last wallet error reported by a *_FAILED event. */
  lastError: string | null;
  /** `at` of the DEBIT_FAILED that started the rollback; the park bound counts from it. */
  rollbackStartedAt: number | null;
  /** Failed credit calls so far. */
  creditAttempts: number;
  /** Failed rollback calls so far. */
  rollbackAttempts: number;
  manualResolution: ManualResolution | null;
}

export type BetEvent =
  | { type: 'DEBIT_SUCCEEDED'; at: number }
  | { type: 'DEBIT_REFUSED'; at: number; code: string }
  | { type: 'DEBIT_FAILED'; at: number; error: string }
  | { type: 'CREDIT_SUCCEEDED'; at: number }
  | { type: 'CREDIT_FAILED'; at: number; error: string }
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
  amount: number;
  rollbackAttempts: number;
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
      lastError: ({ event }) => ('error' in event ? event.error : null),
    }),
  },
  guards: {
    isWin: ({ context }) => context.win,
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
        DEBIT_REFUSED: {
          target: 'rejected',
          actions: [
            'countTransition',
            assign({ rejectReason: ({ event }) => event.code }),
            ...emit('wallet.debit_failed', 'bet.rejected'),
          ],
        },
        DEBIT_FAILED: {
          // Unknown result: the money may have moved, so it must be rolled back (§4).
          target: 'rolling_back',
          actions: [
            'countTransition',
            'recordError',
            assign({ rollbackStartedAt: ({ event }) => event.at }),
            ...emit('wallet.debit_failed'),
          ],
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
            assign({ creditAttempts: ({ context }) => context.creditAttempts + 1 }),
            ...emit('wallet.credit_failed', 'settlement.deferred'),
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
            assign({ creditAttempts: ({ context }) => context.creditAttempts + 1 }),
            ...emit('wallet.credit_failed'),
            { type: 'requestCredit', params: ({ context }) => creditCall(context) },
          ],
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
          amount: context.amount,
          rollbackAttempts: context.rollbackAttempts,
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
