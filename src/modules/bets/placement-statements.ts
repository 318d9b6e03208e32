import type { Queryable } from '../../shared/db.ts';
import { statementBatchSize } from '../../shared/metrics.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { createStatementBatcher } from '../../shared/statement-batcher.ts';
import type { CurrencyLimits } from '../compliance/entity.ts';
import { openServerSeed } from '../fairness/sealed-seeds.ts';
import type { BetEventRow } from './bet-events.ts';

// The two statements of a placement (placement.ts has the flow). Both are set-based: on
// the normal path a node's concurrent placements share them (statement-batcher.ts), so
// under load one round trip reads for many requests and one statement writes many bets.
// Hot statements are named (prepared once per connection): parsing and planning these
// CTEs on every bet would cost Postgres more than running them.

export interface PlayerContext {
  existing: { id: string; request_hash: string } | null;
  session: { player_id: string; currency: string; jurisdiction: string; status: string; unexpired: boolean } | null;
  /** `server_seed` opened: stored sealed, the node draws from it (SPEC §11). */
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
  history: unknown;
  lease_seconds: number;
  seed_pair_id: string;
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
// The seed pair ids ($2) let the planner look the pairs up by primary key (see PERSIST_TRANSITIONS).
const INSERT_BETS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(
    ord integer, bet_id uuid, operator_id uuid, player_id text, session_token uuid, round_id uuid, idempotency_key text,
    request_hash text, currency text, amount bigint, payout bigint, params jsonb, status text, snapshot jsonb, history jsonb,
    lease_seconds float8, seed_pair_id uuid, game_version text, config jsonb, server_seed_hash text, client_seed text,
    nonce bigint, outcome jsonb, debit_tx text, occurred_at timestamptz, events jsonb, audit jsonb,
    daily_loss_limit bigint, daily_win_limit bigint)
), checked AS (
  SELECT i.bet_id, i.ord, i.seed_pair_id, i.nonce,
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
   WHERE sp.id = ANY($2::uuid[]) AND sp.id = c.seed_pair_id AND sp.active AND sp.next_nonce = c.nonce AND c.refusal IS NULL
  RETURNING c.bet_id
), bet AS (
  INSERT INTO bets (id, operator_id, player_id, session_token, round_id, idempotency_key, request_hash, currency,
                    amount, payout, game, params, status, snapshot, history, next_attempt_at)
  SELECT i.bet_id, i.operator_id, i.player_id, i.session_token, i.round_id, i.idempotency_key, i.request_hash, i.currency,
         i.amount, i.payout, 'dice', i.params, i.status, i.snapshot, i.history, now() + make_interval(secs => i.lease_seconds)
    FROM input i JOIN nonce n ON n.bet_id = i.bet_id
  RETURNING id, created_at
), round AS (
  INSERT INTO rounds (id, operator_id, player_id, bet_id, seed_pair_id, game, game_version, config,
                      server_seed_hash, client_seed, nonce, outcome)
  SELECT i.round_id, i.operator_id, i.player_id, i.bet_id, i.seed_pair_id, 'dice', i.game_version, i.config,
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

async function readPlayers(db: Queryable, keyring: SecretsKeyring, lookups: PlayerLookup[], lock: 'none' | 'seed pair'): Promise<PlayerContext[]> {
  const { rows } = await db.query<PlayerContext>({
    name: lock === 'none' ? 'bet-read-players' : 'bet-read-players-locked',
    text: lock === 'none' ? READ_PLAYERS : READ_PLAYERS_LOCKED,
    values: [JSON.stringify(lookups.map((lookup, ord) => ({ ord, operator_id: lookup.operatorId, key: lookup.idempotencyKey, token: lookup.sessionToken })))],
  });
  // Opening a sealed seed costs about 6 µs (measured, AES-256-GCM): no cache of opened seeds is worth keeping.
  for (const row of rows) if (row.seed) row.seed.server_seed = openServerSeed(keyring, row.seed.id, row.seed.server_seed);
  return rows;
}

/** Writes new bets (see INSERT_BETS); one answer per bet, in order. */
async function insertBets(db: Queryable, bets: BetInsert[]): Promise<BetInserted[]> {
  const { rows } = await db.query<BetInserted>({
    name: 'bet-insert',
    text: INSERT_BETS,
    values: [JSON.stringify(bets.map((bet, ord) => ({ ...bet, ord }))), bets.map((bet) => bet.seed_pair_id)],
  });
  return rows;
}

// As for transitions: one statement of each kind in flight per node, 64 bets at most.
const STATEMENTS_IN_FLIGHT = 1;
const MAX_BATCH = 64;

export interface PlacementStatements {
  readPlayer(lookup: PlayerLookup): Promise<PlayerContext>;
  insertBet(bet: BetInsert): Promise<BetInserted>;
}

/** The normal path's statements, shared by this node's concurrent placements. */
export function createPlacementStatements(db: Queryable, keyring: SecretsKeyring): PlacementStatements {
  return {
    readPlayer: createStatementBatcher<PlayerLookup, PlayerContext>({
      run: (lookups) => readPlayers(db, keyring, lookups, 'none'),
      inFlight: STATEMENTS_IN_FLIGHT,
      maxBatch: MAX_BATCH,
      onBatch: (size) => statementBatchSize.observe({ statement: 'bet_read_player' }, size),
    }),
    insertBet: createStatementBatcher<BetInsert, BetInserted>({
      run: (bets) => insertBets(db, bets),
      inFlight: STATEMENTS_IN_FLIGHT,
      maxBatch: MAX_BATCH,
      onBatch: (size) => statementBatchSize.observe({ statement: 'bet_insert' }, size),
    }),
  };
}

/** The same statements for one placement on a transaction's connection, the read taking the seed pair's row lock. */
export function lockedPlacementStatements(client: Queryable, keyring: SecretsKeyring): PlacementStatements {
  return {
    readPlayer: async (lookup) => (await readPlayers(client, keyring, [lookup], 'seed pair'))[0]!,
    insertBet: async (bet) => (await insertBets(client, [bet]))[0]!,
  };
}
