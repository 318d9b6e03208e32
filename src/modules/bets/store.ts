import type { EntityManager } from '@mikro-orm/postgresql';
import type { Queryable } from '../../shared/db.ts';
import { FINAL_BET_STATES, SCHEDULED_STEP_STATES, stepOf, type BetStatus } from '../../../machines/bet.machine.ts';
import type { CurrencyLimits } from '../compliance/entity.ts';
import type { BetEventRow } from './bet-events.ts';
import type { BetRecord } from './bet-view.ts';
import { BetEntity } from './entity.ts';
import { parseStoredSnapshot } from './stored-snapshot.ts';
import { SeedPairEntity } from '../fairness/entity.ts';

// The bets module's store: every statement of the module, and nothing else. Services
// (placement.ts, runtime.ts, service.ts, sweeper.ts, …) call these functions; the batching
// of concurrent requests into one statement is theirs (placement-statements.ts,
// transition-writer.ts over src/shared/statement-batcher.ts), the statement text is here.
//
// Cross-module statements. The hot path writes, in the same statement as the bet, rows
// of tables other modules own. Each is one data-modifying CTE on purpose: one round trip
// and one implicit transaction for a whole group-committed batch of bets, all of a bet's
// rows or none. Split into one store call per owning module, a batch would need an
// explicit transaction (BEGIN, one statement per table, COMMIT): more round trips per
// bet and locks held across them, which is what the set-based design removed (placement
// from four round trips to two: 10–18 % less node CPU per bet; group commit: 444.5 /
// 399.2 → 958.2 / 986.0 settled bets/s at c=64, Postgres commits per bet 3.61 → 1.36 —
// docs/performance.md, "Bet path decisions" and "Group commit"; docs/architecture.md,
// "Why the hot path is set-based"). These statements are the only writes of the bets
// module to other modules' tables; everything else goes through the owner's service
// (placement's refusal audit row: audit/service.ts, appendAudit).
//
// - INSERT_BETS (`insertBets`, named `bet-insert`): bets (bets); seed_pairs.next_nonce
//   (fairness: the nonce compare-and-set that serialises a player's bets); rounds
//   (rounds); wallet_transactions, the debit row (wallet); events (events); audit_log
//   (audit); player_daily_totals, staked (compliance); and the bet's first
//   bet_transitions row (bets' own). It also reads player_daily_totals
//   for the daily limits, which must be checked in the statement that adds to them.
// - PERSIST_TRANSITIONS (`persistTransitionRows`, named `bet-transitions`): bets and
//   bet_transitions;
//   wallet_transactions, the call's result and the next row (wallet); events (events);
//   audit_log (audit); player_daily_totals, returned (compliance).
// - RECORD_ATTEMPT (`recordAttempt`): wallet_transactions, the attempt count (wallet);
//   bets.next_attempt_at; audit_log (audit). Not batched, but one statement for the same
//   reason: the attempt, the bet's due time and its audit row are written together or not at all.
//
// The reads join other modules' tables read-only (sessions, seed_pairs, operator_limits,
// rounds, wallet_transactions): one round trip where a read per module would be several.
//
// Hot statements are named (prepared once per connection): parsing and planning these
// CTEs on every bet would cost Postgres more than running them. Keep their names: they
// are Postgres prepared statement names.

// ---------------------------------------------------------------------------------------
// Placement (placement.ts has the flow; placement-statements.ts batches these two)
// ---------------------------------------------------------------------------------------

export interface PlayerContext {
  existing: { id: string; request_hash: string } | null;
  session: { player_id: string; currency: string; jurisdiction: string; status: string; unexpired: boolean } | null;
  /** `server_seed` as stored, sealed: placement-statements.ts opens it before placement draws from it (SPEC §11). */
  seed: { id: string; server_seed: string; server_seed_hash: string; client_seed: string; nonce: number } | null;
  limits: { blocked_jurisdictions: string[]; currencies: Record<string, CurrencyLimits> } | null;
}

export interface PlayerLookup {
  operatorId: string;
  idempotencyKey: string;
  sessionToken: string;
}

// For each request: the bet its Idempotency-Key already made, the session, the player's
// active seed pair with its next nonce, and the operator's limits. The normal path takes
// no lock; the retry inside a transaction (see placement.ts) takes the seed pair's row
// lock, so that its compare-and-set cannot miss.
const readPlayersSql = (lock: string) => `
SELECT (SELECT row_to_json(x) FROM (
          SELECT id, request_hash FROM bets WHERE operator_id = i.operator_id AND idempotency_key = i.key) x) AS existing,
       (SELECT row_to_json(x) FROM (
          SELECT player_id, currency, jurisdiction, status, expires_at > now() AS unexpired
            FROM sessions WHERE operator_id = i.operator_id AND token = i.token) x) AS session,
       (SELECT row_to_json(x) FROM (
          SELECT sp.id, sp.server_seed, sp.server_seed_hash, sp.client_seed, sp.next_nonce AS nonce
            FROM sessions s JOIN seed_pairs sp ON sp.operator_id = s.operator_id AND sp.player_id = s.player_id
           WHERE s.operator_id = i.operator_id AND s.token = i.token AND sp.active ${lock}) x) AS seed,
       (SELECT row_to_json(x) FROM (
          SELECT blocked_jurisdictions, currencies FROM operator_limits WHERE operator_id = i.operator_id) x) AS limits
  FROM jsonb_to_recordset($1::jsonb) AS i(ord integer, operator_id uuid, key text, token uuid)
 ORDER BY i.ord`;
const READ_PLAYERS = readPlayersSql('');
const READ_PLAYERS_LOCKED = readPlayersSql('FOR UPDATE OF sp');

/** Everything one new bet writes, as one element of INSERT_BETS' jsonb parameter. */
export interface BetInsert {
  bet_id: string;
  operator_id: string;
  player_id: string;
  session_token: string;
  round_id: string;
  idempotency_key: string;
  request_hash: string;
  currency: string;
  amount: number;
  payout: number;
  params: unknown;
  status: string;
  snapshot: unknown;
  lease_seconds: number;
  seed_pair_id: string;
  game: string;
  game_version: string;
  config: unknown;
  server_seed_hash: string;
  client_seed: string;
  nonce: number;
  outcome: unknown;
  debit_tx: string;
  occurred_at: string;
  events: BetEventRow[];
  audit: unknown;
  daily_loss_limit: number | null;
  daily_win_limit: number | null;
}

export interface BetInserted {
  refusal: 'DAILY_LOSS_LIMIT' | 'DAILY_WIN_LIMIT' | null;
  /** Null with no refusal: the nonce moved on (another bet of the player, or a rotation). */
  id: string | null;
  created_at: Date | null;
}

// One statement, one implicit transaction, for each bet of the batch: the daily limits
// (SPEC §8, open stakes count as lost), the nonce compare-and-set, and then bet, round,
// debit transaction, events, audit row and the day's totals — or nothing at all for that
// bet. The limits read the day's totals as of this statement's start. Only settlements
// (adding to `returned`) can commit in between, since the player's other placements
// would have moved the nonce; so the check is exactly the one of a placement ordered
// before those settlements. Two bets of one player in a batch draw on the same nonce:
// the compare-and-set lets one through and the other is a miss, so the totals see one
// bet per player per statement. A repeated Idempotency-Key fails the whole statement with
// a unique violation (the batcher then writes each bet alone).
// The seed pair ids ($2) and their operators ($3) let the planner look the pairs up by
// primary key (see PERSIST_TRANSITIONS).
const INSERT_BETS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
    ord integer, bet_id uuid, operator_id uuid, player_id text, session_token uuid, round_id uuid, idempotency_key text,
    request_hash text, currency text, amount bigint, payout bigint, params jsonb, status text, snapshot jsonb,
    lease_seconds float8, seed_pair_id uuid, game text, game_version text, config jsonb, server_seed_hash text, client_seed text,
    nonce bigint, outcome jsonb, debit_tx text, occurred_at timestamptz, events jsonb, audit jsonb,
    daily_loss_limit bigint, daily_win_limit bigint)
), checked AS (
  SELECT i.bet_id, i.ord, i.operator_id, i.seed_pair_id, i.nonce,
         CASE
           WHEN i.daily_loss_limit IS NOT NULL AND day.staked + i.amount - day.returned > i.daily_loss_limit THEN 'DAILY_LOSS_LIMIT'
           WHEN i.daily_win_limit IS NOT NULL AND day.returned - day.staked >= i.daily_win_limit THEN 'DAILY_WIN_LIMIT'
         END AS refusal
    FROM input i
    CROSS JOIN LATERAL (
      -- An aggregate over the (at most one) totals row: one row of zeros on the day's first bet.
      SELECT COALESCE(sum(t.staked), 0) AS staked, COALESCE(sum(t.returned), 0) AS returned
        FROM player_daily_totals t
       WHERE t.operator_id = i.operator_id AND t.player_id = i.player_id AND t.currency = i.currency
         AND t.day = (now() AT TIME ZONE 'UTC')::date
    ) day
), nonce AS (
  UPDATE seed_pairs sp SET next_nonce = sp.next_nonce + 1
    FROM checked c
   WHERE sp.operator_id = ANY($3::uuid[]) AND sp.id = ANY($2::uuid[])
     AND sp.operator_id = c.operator_id AND sp.id = c.seed_pair_id AND sp.active AND sp.next_nonce = c.nonce AND c.refusal IS NULL
  RETURNING c.bet_id
), bet AS (
  INSERT INTO bets (id, operator_id, player_id, session_token, round_id, idempotency_key, request_hash, currency,
                    amount, payout, game, params, status, snapshot, next_attempt_at)
  SELECT i.bet_id, i.operator_id, i.player_id, i.session_token, i.round_id, i.idempotency_key, i.request_hash, i.currency,
         i.amount, i.payout, i.game, i.params, i.status, i.snapshot, now() + make_interval(secs => i.lease_seconds)
    FROM input i JOIN nonce n ON n.bet_id = i.bet_id
  RETURNING id, created_at
), history AS (
  -- The bet's first state, at its first version (the column's default).
  INSERT INTO bet_transitions (operator_id, bet_id, version, state, at)
  SELECT i.operator_id, i.bet_id, 1, i.status, i.occurred_at
    FROM input i JOIN bet b ON b.id = i.bet_id
), round AS (
  INSERT INTO rounds (id, operator_id, player_id, bet_id, seed_pair_id, game, game_version, config,
                      server_seed_hash, client_seed, nonce, outcome)
  SELECT i.round_id, i.operator_id, i.player_id, i.bet_id, i.seed_pair_id, i.game, i.game_version, i.config,
         i.server_seed_hash, i.client_seed, i.nonce, i.outcome
    FROM input i JOIN bet b ON b.id = i.bet_id
), debit AS (
  INSERT INTO wallet_transactions (id, operator_id, bet_id, round_id, player_id, kind, currency, amount, next_attempt_at)
  SELECT i.debit_tx, i.operator_id, i.bet_id, i.round_id, i.player_id, 'debit', i.currency, i.amount,
         now() + make_interval(secs => i.lease_seconds)
    FROM input i JOIN bet b ON b.id = i.bet_id
), events AS (
  -- Ordered so that each bet's events get ascending seq in the order they were emitted.
  INSERT INTO events (id, operator_id, type, player_id, bet_id, data, occurred_at)
  SELECT e.id, i.operator_id, e.type, i.player_id, i.bet_id, e.data, i.occurred_at
    FROM input i JOIN bet b ON b.id = i.bet_id,
         ROWS FROM (jsonb_to_recordset(i.events) AS (id uuid, type text, data jsonb)) WITH ORDINALITY AS e(id, type, data, ord)
   ORDER BY i.ord, e.ord
), audit AS (
  INSERT INTO audit_log (operator_id, actor, action, player_id, bet_id, data)
  SELECT i.operator_id, 'operator', 'bet.placed', i.player_id, i.bet_id, i.audit
    FROM input i JOIN bet b ON b.id = i.bet_id
), totals AS (
  INSERT INTO player_daily_totals AS t (operator_id, player_id, currency, day, staked)
  SELECT i.operator_id, i.player_id, i.currency, (b.created_at AT TIME ZONE 'UTC')::date, i.amount
    FROM input i JOIN bet b ON b.id = i.bet_id
  ON CONFLICT (operator_id, player_id, currency, day) DO UPDATE SET staked = t.staked + EXCLUDED.staked
)
SELECT c.refusal, b.id, b.created_at FROM checked c LEFT JOIN bet b ON b.id = c.bet_id ORDER BY c.ord`;

/** The distinct operators of a batch: with the ids, an index condition on the (operator_id, id) keys. */
function operatorIdsOf(rows: readonly { operator_id: string }[]): string[] {
  return [...new Set(rows.map((row) => row.operator_id))];
}

/** Reads each lookup's placement context (see readPlayersSql); one answer per lookup, in order, seeds still sealed. */
export async function readPlayers(db: Queryable, lookups: PlayerLookup[], lock: 'none' | 'seed pair'): Promise<PlayerContext[]> {
  const { rows } = await db.query<PlayerContext>({
    name: lock === 'none' ? 'bet-read-players' : 'bet-read-players-locked',
    text: lock === 'none' ? READ_PLAYERS : READ_PLAYERS_LOCKED,
    values: [JSON.stringify(lookups.map((lookup, ord) => ({ ord, operator_id: lookup.operatorId, key: lookup.idempotencyKey, token: lookup.sessionToken })))],
  });
  return rows;
}

/** Writes new bets (see INSERT_BETS); one answer per bet, in order. */
export async function insertBets(db: Queryable, bets: BetInsert[]): Promise<BetInserted[]> {
  const { rows } = await db.query<BetInserted>({
    name: 'bet-insert',
    text: INSERT_BETS,
    values: [JSON.stringify(bets.map((bet, ord) => ({ ...bet, ord }))), bets.map((bet) => bet.seed_pair_id), operatorIdsOf(bets)],
  });
  return rows;
}

// ---------------------------------------------------------------------------------------
// Transitions (transitions.ts builds the rows; transition-writer.ts batches them)
// ---------------------------------------------------------------------------------------

// One round trip and one implicit transaction for a batch of transitions, each of a
// different bet (transition-writer.ts gathers them). For each bet: the new snapshot under
// the optimistic version, the state it entered (a bet_transitions row at its new version,
// when the state changed), the wallet call's result, the next wallet
// transaction, the events and audit rows (in order), and the money returned to the
// player's daily totals (summed per player and day, so two bets of one player in a
// batch both count). A bet whose version moved on (another runner advanced it first)
// gets nothing at all written, and the others are not affected.
// The batch is one jsonb parameter (no array literals to escape, one parse in Postgres),
// plus its bet ids.
const PERSIST_TRANSITIONS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
    operator_id uuid, bet_id uuid, version integer, status text, entered boolean, snapshot jsonb, at text, reject_reason text, final boolean,
    next_attempt_at timestamptz, call_tx text, call_status text, call_code text, call_error text,
    next_tx text, next_kind text, next_debit_tx text, next_amount bigint, returned bigint, events jsonb, audits jsonb)
), upd AS (
  UPDATE bets b
     SET status = i.status, snapshot = i.snapshot, version = b.version + 1,
         reject_reason = COALESCE(i.reject_reason, b.reject_reason),
         settled_at = CASE WHEN i.final THEN now() ELSE b.settled_at END,
         next_attempt_at = i.next_attempt_at, updated_at = now()
    FROM input i
   -- The id list ($2) and its operators ($3) give the planner a small, known set of bets to
   -- look up by primary key. Without it a cached generic plan, estimating the jsonb's rows blindly (100),
   -- hash-joined a sequential scan of bets made while the table was small, and every
   -- transition got slower as the table grew. (A plan made on a tiny table may still
   -- scan it; autoanalyze replaces it as the table grows.)
   WHERE b.operator_id = ANY($3::uuid[]) AND b.id = ANY($2::uuid[])
     AND b.operator_id = i.operator_id AND b.id = i.bet_id AND b.version = i.version
  RETURNING b.id, b.operator_id, b.player_id, b.round_id, b.currency, b.created_at, b.status, b.version, i.entered,
            b.reject_reason, b.settled_at, b.next_attempt_at, i.at, i.call_tx, i.call_status, i.call_code, i.call_error,
            i.next_tx, i.next_kind, i.next_debit_tx, i.next_amount, i.returned, i.events, i.audits
), history AS (
  INSERT INTO bet_transitions (operator_id, bet_id, version, state, at)
  SELECT u.operator_id, u.id, u.version, u.status, u.at::timestamptz FROM upd u WHERE u.entered
), call AS (
  UPDATE wallet_transactions w
     SET attempts = w.attempts + 1, status = u.call_status, result_code = u.call_code, last_error = u.call_error,
         next_attempt_at = NULL, updated_at = now()
    FROM upd u
   WHERE w.operator_id = u.operator_id AND w.id = u.call_tx
), next_tx AS (
  INSERT INTO wallet_transactions (id, operator_id, bet_id, round_id, player_id, kind, debit_transaction_id, currency, amount, next_attempt_at)
  SELECT u.next_tx, u.operator_id, u.id, u.round_id, u.player_id, u.next_kind, u.next_debit_tx, u.currency, u.next_amount, u.next_attempt_at
    FROM upd u WHERE u.next_tx IS NOT NULL
  ON CONFLICT (operator_id, id) DO NOTHING
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
SELECT id, status, version, reject_reason, settled_at FROM upd`;

/** One bet's part of PERSIST_TRANSITIONS' jsonb parameter (transitions.ts, transitionRow). */
export interface TransitionRow {
  operator_id: string;
  bet_id: string;
  /** The version the transition was decided on: nothing is written if the bet's moved on. */
  version: number;
  status: BetStatus;
  /** The bet entered `status` (it was in another): a new row of its history. */
  entered: boolean;
  snapshot: unknown;
  at: string;
  reject_reason: string | null;
  final: boolean;
  next_attempt_at: Date | null;
  call_tx: string | null;
  call_status: 'applied' | 'refused' | 'failed' | null;
  call_code: string | null;
  call_error: string | null;
  next_tx: string | null;
  next_kind: string | null;
  next_debit_tx: string | null;
  next_amount: number | null;
  returned: number;
  events: BetEventRow[];
  audits: { action: string; data: Record<string, unknown> }[];
}

/** What PERSIST_TRANSITIONS returns for each bet it updated. */
export type PersistedTransition = Pick<BetRecord, 'id' | 'status' | 'version' | 'reject_reason' | 'settled_at'>;

/** Writes a batch of transitions of different bets (see PERSIST_TRANSITIONS); a row for each bet updated, in no particular order. */
export async function persistTransitionRows(db: Queryable, transitions: readonly TransitionRow[]): Promise<PersistedTransition[]> {
  const { rows } = await db.query<PersistedTransition>({
    name: 'bet-transitions',
    text: PERSIST_TRANSITIONS,
    values: [JSON.stringify(transitions), transitions.map((transition) => transition.bet_id), operatorIdsOf(transitions)],
  });
  return rows;
}

// A wallet attempt whose result is unknown and that the machine does not react to yet
// (a debit below its retry bound): count it, audit it, and say when the next one is due.
const RECORD_ATTEMPT = `
WITH call AS (
  UPDATE wallet_transactions SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now()
   WHERE operator_id = $5 AND id = $1 RETURNING attempts
), bet AS (
  UPDATE bets SET next_attempt_at = $3 WHERE operator_id = $5 AND id = $4
), au AS (
  INSERT INTO audit_log (operator_id, actor, action, player_id, bet_id, data)
  VALUES ($5, 'system', $6, $7, $4, $8)
)
SELECT attempts FROM call`;

/** Records an attempt the machine does not react to (see RECORD_ATTEMPT). */
export async function recordAttempt(
  db: Queryable,
  attempt: { transactionId: string; lastError: string | null; nextAttemptAt: Date; betId: string; operatorId: string; action: string; playerId: string; audit: unknown },
): Promise<void> {
  await db.query(RECORD_ATTEMPT, [
    attempt.transactionId,
    attempt.lastError,
    attempt.nextAttemptAt,
    attempt.betId,
    attempt.operatorId,
    attempt.action,
    attempt.playerId,
    JSON.stringify(attempt.audit),
  ]);
}

// ---------------------------------------------------------------------------------------
// Bet records (reads of the API and of the runtime)
// ---------------------------------------------------------------------------------------

// A bet's states in order, as the API shows them (`at` as toISOString writes it).
const HISTORY = `(SELECT json_agg(json_build_object('state', t.state, 'at', to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                           ORDER BY t.version)
                    FROM bet_transitions t WHERE t.operator_id = b.operator_id AND t.bet_id = b.id)`;

/** Selects BetRecord columns; append `WHERE …` (alias b = bets, r = rounds, sp = seed_pairs). */
export const SELECT_BET_RECORD = `
  SELECT b.id, b.operator_id, b.player_id, b.round_id, b.currency, b.amount, b.payout, b.game, b.params,
         b.status, b.snapshot, b.version, ${HISTORY} AS history, b.reject_reason, b.created_at, b.settled_at,
         r.outcome, r.server_seed_hash, r.client_seed, r.nonce, sp.revealed_at IS NOT NULL AS seed_revealed
    FROM bets b JOIN rounds r ON r.operator_id = b.operator_id AND r.id = b.round_id
    LEFT JOIN seed_pairs sp ON sp.operator_id = r.operator_id AND sp.id = r.seed_pair_id`;

/** The bet entity with its history and round (`GET /bets/:id`), if it is this operator's. */
export async function findBet(em: EntityManager, operatorId: string, betId: string) {
  return em.findOne(BetEntity, { id: betId, operatorId }, { populate: ['transitions', 'round'] });
}

/** Whether a rotation revealed the seed pair (then anyone can recompute its rounds). */
export async function isSeedPairRevealed(em: EntityManager, operatorId: string, seedPairId: string): Promise<boolean> {
  const pair = await em.findOne(SeedPairEntity, { operatorId, id: seedPairId }, { fields: ['revealedAt'] });
  return pair?.revealedAt != null;
}



/** The record with its stored snapshot checked (stored-snapshot.ts) before anything restores it. */
function checked<T extends BetRecord>(row: T): T {
  row.snapshot = parseStoredSnapshot(row.snapshot);
  return row;
}

/** The bet, if it is this operator's. */
export async function findBetRecord(db: Queryable, operatorId: string, betId: string): Promise<BetRecord | undefined> {
  const { rows } = await db.query<BetRecord>(`${SELECT_BET_RECORD} WHERE b.operator_id = $1 AND b.id = $2`, [operatorId, betId]);
  return rows[0] && checked(rows[0]);
}

/** A page of an operator's bets, newest first, after the keyset cursor; `cursor_at` is the text of created_at. */
export async function listBetRecords(
  db: Queryable,
  operatorId: string,
  filter: { playerId: string | null; status: string | null; cursorAt: string | null; cursorId: string | null; limit: number },
): Promise<(BetRecord & { cursor_at: string })[]> {
  const { rows } = await db.query<BetRecord & { cursor_at: string }>(
    `${SELECT_BET_RECORD.replace('SELECT b.id,', 'SELECT b.created_at::text AS cursor_at, b.id,')}
        WHERE b.operator_id = $1
          AND ($2::text IS NULL OR b.player_id = $2)
          AND ($3::text IS NULL OR b.status = $3)
          AND ($4::timestamptz IS NULL OR (b.created_at, b.id) < ($4::timestamptz, $5::uuid))
        ORDER BY b.created_at DESC, b.id DESC
        LIMIT $6`,
    [operatorId, filter.playerId, filter.status, filter.cursorAt, filter.cursorId, filter.limit],
  );
  return rows.map(checked);
}

// seed_revealed is false without a look: a seed pair is revealed only once every bet drawn
// from it is final, and a final bet has no step left to run.
const LOAD_FOR_STEP = `
  SELECT b.id, b.operator_id, b.player_id, b.round_id, b.currency, b.amount, b.payout, b.game, b.params,
         b.status, b.snapshot, b.version, ${HISTORY} AS history, b.reject_reason, b.created_at, b.settled_at,
         r.outcome, r.server_seed_hash, r.client_seed, r.nonce, false AS seed_revealed, COALESCE(wt.attempts, 0) AS step_attempts
    FROM bets b
    JOIN rounds r ON r.operator_id = b.operator_id AND r.id = b.round_id
    LEFT JOIN wallet_transactions wt ON wt.operator_id = b.operator_id AND wt.id = $3
   WHERE b.operator_id = $1 AND b.id = $2`;

/** The bet a wallet step runs for, with the attempts its wallet transaction has had so far (0 if none). */
export async function findBetForStep(
  db: Queryable,
  operatorId: string,
  betId: string,
  transactionId: string,
): Promise<(BetRecord & { step_attempts: number }) | undefined> {
  const { rows } = await db.query<BetRecord & { step_attempts: number }>({
    name: 'bet-load-for-step',
    text: LOAD_FOR_STEP,
    values: [operatorId, betId, transactionId],
  });
  return rows[0] && checked(rows[0]);
}

// ---------------------------------------------------------------------------------------
// Due times (deferred attempts and the sweeper)
// ---------------------------------------------------------------------------------------

// The bet's due time moves past the deferred attempt, so the sweeper does not start a
// second line of attempts beside it; a bet another runner advanced meanwhile is left alone.
const POSTPONE = `UPDATE bets SET next_attempt_at = $4 WHERE operator_id = $1 AND id = $2 AND version = $3`;

/** Moves the bet's due time to `dueAt`, unless another runner advanced it past `version`. */
export async function postponeBet(db: Queryable, operatorId: string, betId: string, version: number, dueAt: Date): Promise<void> {
  await db.query(POSTPONE, [operatorId, betId, version, dueAt]);
}

// The machine's constants, written into the statement as literals (never input): a
// literal list lets Postgres answer from the partial index bets_open_due.
const SCHEDULED = SCHEDULED_STEP_STATES.map((status) => `'${status}'`).join(', ');
const STEP_CASE = SCHEDULED_STEP_STATES.map((status) => `WHEN '${status}' THEN '${stepOf(status)}'`).join(' ');

// Bets whose next wallet step is overdue: committed, but its job never ran (the node
// died between commit and enqueue, Redis lost its queues, a job failed for good). The
// parked states (parked, credit_parked) are left out: they wait for a person.
// A debit job the sweeper starts counts as following an unknown attempt (runtime.ts):
// the process that placed the bet may have died with its first attempt in flight.
// The one statement of the bet path that is not filtered by operator, by design: it scans
// due work across operators (docs/scaling.md, "Exceptions"). Its join stays on the operator.
export const OVERDUE = `
  SELECT b.operator_id, b.id, b.status, COALESCE(wt.attempts, 0) AS attempts
    FROM bets b
    LEFT JOIN wallet_transactions wt ON wt.operator_id = b.operator_id AND wt.id = b.id || ':' || CASE b.status ${STEP_CASE} END
   WHERE b.status IN (${SCHEDULED})
     AND b.next_attempt_at < now()
   ORDER BY b.next_attempt_at
   LIMIT $1`;

/** Up to `limit` overdue bets, most overdue first, with the attempts of their next step's wallet transaction. */
export async function findOverdueBets(db: Queryable, limit: number): Promise<{ operator_id: string; id: string; status: BetStatus; attempts: number }[]> {
  const { rows } = await db.query<{ operator_id: string; id: string; status: BetStatus; attempts: number }>(OVERDUE, [limit]);
  return rows;
}

/** Whether one of the player's bets is not final yet (parked ones included). */
export async function selectHasUnsettledBet(db: Queryable, operatorId: string, playerId: string): Promise<boolean> {
  const open = await db.query('SELECT 1 FROM bets WHERE operator_id = $1 AND player_id = $2 AND status <> ALL($3::text[]) LIMIT 1', [
    operatorId,
    playerId,
    FINAL_BET_STATES,
  ]);
  return Boolean(open.rowCount);
}
