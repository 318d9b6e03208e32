import type { Queryable } from '../../shared/db.ts';
import { isFinalBetStatus, type BetStatus } from '../../../machines/bet.machine.ts';
import type { BetStep } from '../../../machines/bet.runtime-api.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';
import { betEventRows, type WalletCallReport } from './bet-events.ts';
import type { BetRecord } from './bet-view.ts';

// One round trip, one implicit transaction: the new snapshot under the optimistic
// version, the state history, the wallet call's result, the next wallet transaction,
// the events and audit rows, and the money returned to the player's daily totals.
// If another runner advanced the bet first, the version does not match and nothing
// at all is written.
const PERSIST_TRANSITION = `
WITH upd AS (
  UPDATE bets
     SET status = $3, snapshot = $4, version = version + 1,
         history = CASE WHEN status = $3 THEN history
                        ELSE history || jsonb_build_array(jsonb_build_object('state', $3::text, 'at', $5::text)) END,
         reject_reason = COALESCE($6, reject_reason),
         settled_at = CASE WHEN $7::boolean THEN now() ELSE settled_at END,
         next_attempt_at = $8, updated_at = now()
   WHERE id = $1 AND version = $2
  RETURNING id, operator_id, player_id, round_id, currency, created_at, status, version, history, reject_reason, settled_at
), call AS (
  UPDATE wallet_transactions
     SET attempts = attempts + 1, status = $10, result_code = $11, last_error = $12, next_attempt_at = NULL, updated_at = now()
   WHERE id = $9 AND EXISTS (SELECT 1 FROM upd)
), next_tx AS (
  INSERT INTO wallet_transactions (id, operator_id, bet_id, round_id, player_id, kind, debit_transaction_id, currency, amount, next_attempt_at)
  SELECT $13, upd.operator_id, upd.id, upd.round_id, upd.player_id, $14, $15, upd.currency, $16, $8 FROM upd WHERE $13::text IS NOT NULL
  ON CONFLICT (id) DO NOTHING
), ev AS (
  INSERT INTO events (id, operator_id, type, player_id, bet_id, data, occurred_at)
  SELECT e.id, upd.operator_id, e.type, upd.player_id, upd.id, e.data, $5::timestamptz
    FROM upd, unnest($17::uuid[], $18::text[], $19::jsonb[]) AS e(id, type, data)
), au AS (
  INSERT INTO audit_log (operator_id, actor, action, player_id, bet_id, data)
  SELECT upd.operator_id, 'system', a.action, upd.player_id, upd.id, a.data
    FROM upd, unnest($20::text[], $21::jsonb[]) AS a(action, data)
), totals AS (
  UPDATE player_daily_totals t SET returned = t.returned + $22
    FROM upd
   WHERE $22 > 0 AND t.operator_id = upd.operator_id AND t.player_id = upd.player_id
     AND t.currency = upd.currency AND t.day = (upd.created_at AT TIME ZONE 'UTC')::date
)
SELECT status, version, history, reject_reason, settled_at FROM upd`;

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
  } else if (step.status === 'parked') {
    rows.push({ action: 'bet.parked', data: { lastError: step.persisted.context.lastError } });
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

/** Persists one accepted machine transition; answers the updated bet, or undefined if another runner got there first. */
export async function persistTransition(db: Queryable, input: TransitionInput): Promise<BetRecord | undefined> {
  const { bet, step, call } = input;
  const at = new Date().toISOString();
  const facts = { betId: bet.id, playerId: bet.player_id, roundId: bet.round_id, amount: bet.amount, payout: bet.payout, currency: bet.currency.trim() };
  const events = betEventRows(step.events, facts, call);
  const audits = auditRows(bet, step, call, input.attempt);
  const next = nextTransaction(bet, bet.status, step.status);
  const { rows } = await db.query<Pick<BetRecord, 'status' | 'version' | 'history' | 'reject_reason' | 'settled_at'>>({
    name: 'bet-transition',
    text: PERSIST_TRANSITION,
    values: [
    bet.id,
    bet.version,
    step.status,
    JSON.stringify(step.persisted),
    at,
    step.persisted.context.rejectReason,
    isFinalBetStatus(step.status),
    input.nextAttemptAt,
    call?.transactionId ?? null,
    call ? (call.result === 'applied' ? 'applied' : call.result === 'refused' ? 'refused' : 'failed') : null,
    call?.code ?? null,
    call?.error ?? null,
    next?.id ?? null,
    next?.kind ?? null,
    next?.debitTransactionId ?? null,
    next?.amount ?? null,
    events.ids,
    events.types,
    events.data,
    audits.map((row) => row.action),
    audits.map((row) => JSON.stringify(row.data)),
    moneyReturned(bet, step.status),
  ] });
  const updated = rows[0];
  return updated ? { ...bet, ...updated, snapshot: step.persisted } : undefined;
}

// A wallet attempt whose result is unknown and that the machine does not react to yet
// (a debit below its retry bound): count it, audit it, and say when the next one is due.
const RECORD_ATTEMPT = `
WITH call AS (
  UPDATE wallet_transactions SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now()
   WHERE id = $1 RETURNING attempts
), bet AS (
  UPDATE bets SET next_attempt_at = $3 WHERE id = $4
), au AS (
  INSERT INTO audit_log (operator_id, actor, action, player_id, bet_id, data)
  VALUES ($5, 'system', $6, $7, $4, $8)
)
SELECT attempts FROM call`;

export async function recordUnansweredAttempt(
  db: Queryable,
  input: { bet: BetRecord; call: WalletCallReport; attempt: number; nextAttemptAt: Date },
): Promise<void> {
  const { bet, call } = input;
  await db.query(RECORD_ATTEMPT, [
    call.transactionId,
    call.error ?? call.code ?? null,
    input.nextAttemptAt,
    bet.id,
    bet.operator_id,
    `wallet.${call.kind}`,
    bet.player_id,
    JSON.stringify({ transactionId: call.transactionId, amount: call.amount, attempt: input.attempt, result: call.result, code: call.code ?? null, error: call.error ?? null }),
  ]);
}
