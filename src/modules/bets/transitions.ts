import type { Queryable } from '../../shared/db.ts';
import { isFinalBetStatus, isParkedBetStatus, stepOf, type BetStatus } from '../../../machines/bet.machine.ts';
import type { BetStep } from '../../../machines/bet.runtime-api.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';
import { betEventRows, type WalletCallReport } from './bet-events.ts';
import type { BetRecord } from './bet-view.ts';
import { persistTransitionRows, recordAttempt, type TransitionRow } from './store.ts';

// The rows of PERSIST_TRANSITIONS (store.ts): what each accepted transition writes, built
// in process. transition-writer.ts batches them, one statement per batch.

/** What came back to the player when a bet reaches this state (daily totals, SPEC §8). */
function moneyReturned(bet: BetRecord, status: BetStatus): number {
  if (status === 'won') return bet.payout;
  if (status === 'rejected' || status === 'cancelled') return bet.amount;
  return 0;
}

/** The wallet transaction a newly entered state will need, if any. */
function nextTransaction(bet: BetRecord, from: BetStatus, to: BetStatus) {
  if (to === from) return undefined;
  const debitTransactionId = walletTransactionId(bet.id, 'debit');
  if (to === 'crediting') return { id: walletTransactionId(bet.id, 'credit'), kind: 'credit', debitTransactionId, amount: bet.payout };
  if (to === 'rolling_back') return { id: walletTransactionId(bet.id, 'rollback'), kind: 'rollback', debitTransactionId, amount: bet.amount };
  return undefined;
}

function auditRows(bet: BetRecord, step: BetStep, call: WalletCallReport | undefined, attempt: number) {
  const rows: { action: string; data: Record<string, unknown> }[] = [];
  if (call) {
    rows.push({
      action: `wallet.${call.kind}`,
      data: { transactionId: call.transactionId, amount: call.amount, attempt, result: call.result, code: call.code ?? null, error: call.error ?? null },
    });
  }
  if (isFinalBetStatus(step.status)) {
    rows.push({ action: 'bet.settled', data: { status: step.status, amount: bet.amount, payout: step.status === 'won' ? bet.payout : 0 } });
  } else if (isParkedBetStatus(step.status)) {
    rows.push({ action: 'bet.parked', data: { step: stepOf(step.status), lastError: step.persisted.context.lastError } });
  }
  return rows;
}

export interface TransitionInput {
  bet: BetRecord;
  step: BetStep;
  call?: WalletCallReport;
  /** Which attempt of the call this was (1-based). */
  attempt: number;
  /** When the next effect is due; null when nothing more is to be done automatically. */
  nextAttemptAt: Date | null;
}

/** One bet's part of PERSIST_TRANSITIONS' jsonb parameter. */
function transitionRow(input: TransitionInput): TransitionRow {
  const { bet, step, call } = input;
  const at = new Date().toISOString();
  const facts = { betId: bet.id, playerId: bet.player_id, roundId: bet.round_id, amount: bet.amount, payout: bet.payout, currency: bet.currency.trim() };
  const next = nextTransaction(bet, bet.status, step.status);
  return {
    operator_id: bet.operator_id,
    bet_id: bet.id,
    version: bet.version,
    status: step.status,
    entered: step.status !== bet.status,
    snapshot: step.persisted,
    at,
    reject_reason: step.persisted.context.rejectReason,
    final: isFinalBetStatus(step.status),
    next_attempt_at: input.nextAttemptAt,
    call_tx: call?.transactionId ?? null,
    call_status: call ? (call.result === 'applied' ? 'applied' : call.result === 'refused' ? 'refused' : 'failed') : null,
    call_code: call?.code ?? null,
    call_error: call?.error ?? null,
    next_tx: next?.id ?? null,
    next_kind: next?.kind ?? null,
    next_debit_tx: next?.debitTransactionId ?? null,
    next_amount: next?.amount ?? null,
    returned: moneyReturned(bet, step.status),
    events: betEventRows(step.events, facts, call),
    audits: auditRows(bet, step, call, input.attempt),
  };
}

/**
 * Persists accepted machine transitions of different bets in one statement; answers, in
 * the same order, each updated bet, or undefined where another runner got there first.
 */
export async function persistTransitions(db: Queryable, inputs: readonly TransitionInput[]): Promise<(BetRecord | undefined)[]> {
  const rows = inputs.map(transitionRow);
  const updated = new Map((await persistTransitionRows(db, rows)).map((row) => [row.id, row]));
  return inputs.map(({ bet, step }, index) => {
    const row = updated.get(bet.id);
    if (!row) return undefined;
    const { entered, at } = rows[index]!;
    // The history as stored: the statement wrote this state's row only if the bet entered it.
    return { ...bet, ...row, snapshot: step.persisted, history: entered ? [...bet.history, { state: step.status, at }] : bet.history };
  });
}

// A wallet attempt whose result is unknown and that the machine does not react to yet
// (a debit below its retry bound): count it, audit it, and say when the next one is due.
export async function recordUnansweredAttempt(
  db: Queryable,
  input: { bet: BetRecord; call: WalletCallReport; attempt: number; nextAttemptAt: Date },
): Promise<void> {
  const { bet, call } = input;
  await recordAttempt(db, {
    transactionId: call.transactionId,
    lastError: call.error ?? call.code ?? null,
    nextAttemptAt: input.nextAttemptAt,
    betId: bet.id,
    operatorId: bet.operator_id,
    action: `wallet.${call.kind}`,
    playerId: bet.player_id,
    audit: { transactionId: call.transactionId, amount: call.amount, attempt: input.attempt, result: call.result, code: call.code ?? null, error: call.error ?? null },
  });
}
