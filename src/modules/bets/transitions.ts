import type { Queryable } from '../../shared/db.ts';
import { isFinalBetStatus, isParkedBetStatus, stepOf, type BetStatus } from '../../../machines/bet.machine.ts';
import type { BetStep } from '../../../machines/bet.runtime-api.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';
import { betEventRows, type WalletCallReport } from './bet-events.ts';
import type { BetRecord } from './bet-view.ts';

// One round trip and one implicit transaction for a batch of transitions, each of a
// different bet (transition-writer.ts gathers them). For each bet: the new snapshot under
// the optimistic version, the state history, the wallet call's result, the next wallet
// transaction, the events and audit rows (in order), and the money returned to the
// player's daily totals (summed per player and day, so two bets of one player in a
// batch both count). A bet whose version moved on (another runner advanced it first)
// gets nothing at all written, and the others are not affected.
// The batch is one jsonb parameter (no array literals to escape, one parse in Postgres),
// plus its bet ids.
const PERSIST_TRANSITIONS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
    bet_id uuid, version integer, status text, snapshot jsonb, at text, reject_reason text, final boolean,
    next_attempt_at timestamptz, call_tx text, call_status text, call_code text, call_error text,
    next_tx text, next_kind text, next_debit_tx text, next_amount bigint, returned bigint, events jsonb, audits jsonb)
), upd AS (
  UPDATE bets b
     SET status = i.status, snapshot = i.snapshot, version = b.version + 1,
         history = CASE WHEN b.status = i.status THEN b.history
                        ELSE b.history || jsonb_build_array(jsonb_build_object('state', i.status, 'at', i.at)) END,
         reject_reason = COALESCE(i.reject_reason, b.reject_reason),
         settled_at = CASE WHEN i.final THEN now() ELSE b.settled_at END,
         next_attempt_at = i.next_attempt_at, updated_at = now()
    FROM input i
   -- The id list ($2) gives the planner a small, known set of bets to look up by primary
   -- key. Without it a cached generic plan, estimating the jsonb's rows blindly (100),
   -- hash-joined a sequential scan of bets made while the table was small, and every
   -- transition got slower as the table grew. (A plan made on a tiny table may still
   -- scan it; autoanalyze replaces it as the table grows.)
   WHERE b.id = ANY($2::uuid[]) AND b.id = i.bet_id AND b.version = i.version
  RETURNING b.id, b.operator_id, b.player_id, b.round_id, b.currency, b.created_at, b.status, b.version, b.history,
            b.reject_reason, b.settled_at, b.next_attempt_at, i.at, i.call_tx, i.call_status, i.call_code, i.call_error,
            i.next_tx, i.next_kind, i.next_debit_tx, i.next_amount, i.returned, i.events, i.audits
), call AS (
  UPDATE wallet_transactions w
     SET attempts = w.attempts + 1, status = u.call_status, result_code = u.call_code, last_error = u.call_error,
         next_attempt_at = NULL, updated_at = now()
    FROM upd u
   WHERE w.id = u.call_tx
), next_tx AS (
  INSERT INTO wallet_transactions (id, operator_id, bet_id, round_id, player_id, kind, debit_transaction_id, currency, amount, next_attempt_at)
  SELECT u.next_tx, u.operator_id, u.id, u.round_id, u.player_id, u.next_kind, u.next_debit_tx, u.currency, u.next_amount, u.next_attempt_at
    FROM upd u WHERE u.next_tx IS NOT NULL
  ON CONFLICT (id) DO NOTHING
), ev AS (
  -- Ordered so that each bet's events get ascending seq in the order the machine emitted them.
  INSERT INTO events (id, operator_id, type, player_id, bet_id, data, occurred_at)
  SELECT e.id, u.operator_id, e.type, u.player_id, u.id, e.data, u.at::timestamptz
    FROM upd u, ROWS FROM (jsonb_to_recordset(u.events) AS (id uuid, type text, data jsonb)) WITH ORDINALITY AS e(id, type, data, ord)
   ORDER BY u.id, e.ord
), au AS (
  INSERT INTO audit_log (operator_id, actor, action, player_id, bet_id, data)
  SELECT u.operator_id, 'system', a.action, u.player_id, u.id, a.data
    FROM upd u, ROWS FROM (jsonb_to_recordset(u.audits) AS (action text, data jsonb)) WITH ORDINALITY AS a(action, data, ord)
   ORDER BY u.id, a.ord
), totals AS (
  UPDATE player_daily_totals t SET returned = t.returned + s.returned
    FROM (SELECT operator_id, player_id, currency, (created_at AT TIME ZONE 'UTC')::date AS day, sum(returned) AS returned
            FROM upd WHERE returned > 0 GROUP BY 1, 2, 3, 4) s
   WHERE t.operator_id = s.operator_id AND t.player_id = s.player_id AND t.currency = s.currency AND t.day = s.day
)
SELECT id, status, version, history, reject_reason, settled_at FROM upd`;

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
function transitionRow(input: TransitionInput) {
  const { bet, step, call } = input;
  const at = new Date().toISOString();
  const facts = { betId: bet.id, playerId: bet.player_id, roundId: bet.round_id, amount: bet.amount, payout: bet.payout, currency: bet.currency.trim() };
  const next = nextTransaction(bet, bet.status, step.status);
  return {
    bet_id: bet.id,
    version: bet.version,
    status: step.status,
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
  const { rows } = await db.query<Pick<BetRecord, 'id' | 'status' | 'version' | 'history' | 'reject_reason' | 'settled_at'>>({
    name: 'bet-transitions',
    text: PERSIST_TRANSITIONS,
    values: [JSON.stringify(inputs.map(transitionRow)), inputs.map((input) => input.bet.id)],
  });
  const updated = new Map(rows.map((row) => [row.id, row]));
  return inputs.map(({ bet, step }) => {
    const row = updated.get(bet.id);
    return row ? { ...bet, ...row, snapshot: step.persisted } : undefined;
  });
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
