import type { Queryable } from '../../shared/db.ts';
import { isFinalBetStatus, type BetStatus } from '../../../machines/bet.machine.ts';
import type { BetStep } from '../../../machines/bet.runtime-api.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';
import { betEventRows, type WalletCallReport } from './bet-events.ts';
import type { BetRecord } from './bet-view.ts';

// One round trip, one implicit transaction: the new snapshot under the optimistic
// version, the state history, the wallet call's result, the next wallet transaction
// (with its first attempt's result when that call was already made, see below), the
// events and audit rows, and the money returned to the player's daily totals.
// If another runner advanced the bet first, the version does not match and nothing
// at all is written.
const PERSIST_TRANSITION = `
WITH upd AS (
  UPDATE bets
     SET status = $3, snapshot = $4, version = version + 1,
         history = history || $5::jsonb,
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
  INSERT INTO wallet_transactions (id, operator_id, bet_id, round_id, player_id, kind, debit_transaction_id, currency, amount,
                                   next_attempt_at, attempts, status, result_code, last_error)
  SELECT $13, upd.operator_id, upd.id, upd.round_id, upd.player_id, $14, $15, upd.currency, $16,
         CASE WHEN $23::text IS NULL THEN $8 END, CASE WHEN $23::text IS NULL THEN 0 ELSE 1 END, COALESCE($23, 'pending'), $24, $25
    FROM upd WHERE $13::text IS NOT NULL
  ON CONFLICT (id) DO NOTHING
), ev AS (
  INSERT INTO events (id, operator_id, type, player_id, bet_id, data, occurred_at)
  SELECT e.id, upd.operator_id, e.type, upd.player_id, upd.id, e.data, $22::timestamptz
    FROM upd, unnest($17::uuid[], $18::text[], $19::jsonb[]) AS e(id, type, data)
), au AS (
  INSERT INTO audit_log (operator_id, actor, action, player_id, bet_id, data)
  SELECT upd.operator_id, 'system', a.action, upd.player_id, upd.id, a.data
    FROM upd, unnest($20::text[], $21::jsonb[]) AS a(action, data)
), totals AS (
  UPDATE player_daily_totals t SET returned = t.returned + $26
    FROM upd
   WHERE $26 > 0 AND t.operator_id = upd.operator_id AND t.player_id = upd.player_id
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

/** One accepted machine transition and the wallet answer that caused it, if any. */
export interface Transition {
  step: BetStep;
  call?: WalletCallReport;
  /** Which attempt of the call this was (1-based). */
  attempt: number;
}

export interface TransitionInput {
  bet: BetRecord;
  /**
   * The transition, or two in a row: a second one may follow when its wallet call is the
   * first attempt of the transaction the first one opened (a won bet's credit, made right
   * after its debit), so both land in one commit. Until then the bet still reads as
   * before the first: a node that dies in between leaves it for the sweeper, which
   * repeats both calls under the same transaction ids.
   */
  transitions: [Transition] | [Transition, Transition];
  /** When the next effect is due; null when nothing more is to be done automatically. */
  nextAttemptAt: Date | null;
}

const WALLET_STATUS = { applied: 'applied', refused: 'refused', unknown: 'failed' } as const;

/** Persists accepted machine transitions; answers the updated bet, or undefined if another runner got there first. */
export async function persistTransition(db: Queryable, input: TransitionInput): Promise<BetRecord | undefined> {
  const { bet, transitions } = input;
  const [first, second] = transitions;
  const final = (second ?? first).step;
  const at = new Date().toISOString();
  const facts = { betId: bet.id, playerId: bet.player_id, roundId: bet.round_id, amount: bet.amount, payout: bet.payout, currency: bet.currency.trim() };
  const events = { ids: [] as string[], types: [] as string[], data: [] as string[] };
  const audits: { action: string; data: Record<string, unknown> }[] = [];
  const history: { state: BetStatus; at: string }[] = [];
  let status = bet.status;
  for (const transition of transitions) {
    const rows = betEventRows(transition.step.events, facts, transition.call);
    events.ids.push(...rows.ids);
    events.types.push(...rows.types);
    events.data.push(...rows.data);
    audits.push(...auditRows(bet, transition.step, transition.call, transition.attempt));
    if (transition.step.status !== status) history.push({ state: transition.step.status, at });
    status = transition.step.status;
  }
  const next = nextTransaction(bet, bet.status, first.step.status);
  // The second transition's call is the first attempt of the transaction the first opened.
  const nextCall = second?.call;
  if (nextCall && nextCall.transactionId !== next?.id) throw new Error(`chained call ${nextCall.transactionId} is not the transaction ${next?.id ?? 'none'} opened`);
  const { call } = first;
  const { rows } = await db.query<Pick<BetRecord, 'status' | 'version' | 'history' | 'reject_reason' | 'settled_at'>>({
    name: 'bet-transition',
    text: PERSIST_TRANSITION,
    values: [
      bet.id,
      bet.version,
      final.status,
      JSON.stringify(final.persisted),
      JSON.stringify(history),
      final.persisted.context.rejectReason,
      isFinalBetStatus(final.status),
      input.nextAttemptAt,
      call?.transactionId ?? null,
      call ? WALLET_STATUS[call.result] : null,
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
      at,
      nextCall ? WALLET_STATUS[nextCall.result] : null,
      nextCall?.code ?? null,
      nextCall?.error ?? null,
      moneyReturned(bet, final.status),
    ],
  });
  const updated = rows[0];
  return updated ? { ...bet, ...updated, snapshot: final.persisted } : undefined;
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
