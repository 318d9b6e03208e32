import { Migration } from '@mikro-orm/migrations';

/**
 * The whole product's schema (reviewed SQL, never edited after landing).
 *
 * Conventions: operator-scoped tables carry `operator_id` first in every index so each
 * lookup and keyset page is scoped by operator (SPEC §3); money is bigint minor units;
 * `player_id` is the operator's own player id (text), unique per operator.
 */
export class InitialSchema0001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE operators (
  id                    uuid PRIMARY KEY,
  name                  text        NOT NULL UNIQUE,
  api_key_hash          text        NOT NULL UNIQUE,   -- sha256 hex of the key; the key itself is never stored
  wallet_url            text,
  wallet_secret         text,
  webhook_url           text,
  webhook_secret        text,
  rate_limit_per_second integer     CHECK (rate_limit_per_second > 0),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE players (
  operator_id uuid        NOT NULL REFERENCES operators(id),
  player_id   text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operator_id, player_id)
);

-- SPEC §5: one active seed pair per player; the server seed stays secret until revealed.
CREATE TABLE seed_pairs (
  id               uuid PRIMARY KEY,
  operator_id      uuid        NOT NULL,
  player_id        text        NOT NULL,
  server_seed      text        NOT NULL,
  server_seed_hash text        NOT NULL,
  client_seed      text        NOT NULL,
  next_nonce       bigint      NOT NULL DEFAULT 0 CHECK (next_nonce >= 0),
  active           boolean     NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  revealed_at      timestamptz,
  FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, player_id)
);
CREATE UNIQUE INDEX seed_pairs_one_active ON seed_pairs (operator_id, player_id) WHERE active;

CREATE TABLE sessions (
  token        uuid PRIMARY KEY,
  operator_id  uuid        NOT NULL,
  player_id    text        NOT NULL,
  currency     char(3)     NOT NULL,
  jurisdiction char(2)     NOT NULL,
  status       text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, player_id)
);
CREATE INDEX sessions_operator_player ON sessions (operator_id, player_id, created_at DESC);

CREATE TABLE rounds (
  id               uuid PRIMARY KEY,
  operator_id      uuid        NOT NULL,
  player_id        text        NOT NULL,
  bet_id           uuid        NOT NULL UNIQUE,
  seed_pair_id     uuid        NOT NULL REFERENCES seed_pairs(id),
  game             text        NOT NULL,
  game_version     text        NOT NULL,
  config           jsonb       NOT NULL,
  server_seed_hash text        NOT NULL,
  client_seed      text        NOT NULL,
  nonce            bigint      NOT NULL,
  outcome          jsonb       NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (seed_pair_id, nonce)   -- a nonce is never used twice for one seed pair
);
CREATE INDEX rounds_operator_player_created ON rounds (operator_id, player_id, created_at DESC, id DESC);

CREATE TABLE bets (
  id              uuid PRIMARY KEY,
  operator_id     uuid        NOT NULL,
  player_id       text        NOT NULL,
  session_token   uuid        NOT NULL,
  round_id        uuid        NOT NULL,
  idempotency_key text        NOT NULL,
  request_hash    text        NOT NULL,
  currency        char(3)     NOT NULL,
  amount          bigint      NOT NULL CHECK (amount > 0),
  payout          bigint      NOT NULL DEFAULT 0 CHECK (payout >= 0),
  game            text        NOT NULL,
  params          jsonb       NOT NULL,
  status          text        NOT NULL,
  snapshot        jsonb       NOT NULL,     -- XState persisted snapshot
  version         integer     NOT NULL DEFAULT 1,   -- optimistic lock
  history         jsonb       NOT NULL DEFAULT '[]',  -- [{state, at}]
  reject_reason   text,
  next_attempt_at timestamptz,              -- when the next effect is due (sweeper)
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  settled_at      timestamptz,
  UNIQUE (operator_id, idempotency_key)
);
CREATE INDEX bets_operator_created ON bets (operator_id, created_at DESC, id DESC);
CREATE INDEX bets_operator_player_created ON bets (operator_id, player_id, created_at DESC, id DESC);
CREATE INDEX bets_operator_status_created ON bets (operator_id, status, created_at DESC, id DESC);
CREATE INDEX bets_open_due ON bets (next_attempt_at)
  WHERE status NOT IN ('won', 'lost', 'rejected', 'cancelled');

CREATE TABLE wallet_transactions (
  id                    text PRIMARY KEY,   -- deterministic: derived from the bet and the step
  operator_id           uuid        NOT NULL,
  bet_id                uuid        NOT NULL,
  round_id              uuid        NOT NULL,
  player_id             text        NOT NULL,
  kind                  text        NOT NULL CHECK (kind IN ('debit', 'credit', 'rollback')),
  debit_transaction_id  text,
  currency              char(3)     NOT NULL,
  amount                bigint      NOT NULL CHECK (amount > 0),
  status                text        NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'applied', 'refused', 'failed')),
  result_code           text,
  attempts              integer     NOT NULL DEFAULT 0,
  last_error            text,
  next_attempt_at       timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_tx_operator_created ON wallet_transactions (operator_id, created_at DESC, id DESC);
CREATE INDEX wallet_tx_operator_round ON wallet_transactions (operator_id, round_id);
CREATE INDEX wallet_tx_operator_player_created ON wallet_transactions (operator_id, player_id, created_at DESC, id DESC);
CREATE INDEX wallet_tx_bet ON wallet_transactions (bet_id);

-- The committed event log (SPEC §7): written in the same transaction as the change it
-- reports; a relay appends it to the operator's Redis Stream and marks it relayed.
CREATE TABLE events (
  id          uuid PRIMARY KEY,
  seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  operator_id uuid        NOT NULL,
  type        text        NOT NULL,
  player_id   text,
  bet_id      uuid,
  data        jsonb       NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  relayed_at  timestamptz,
  stream_id   text
);
CREATE INDEX events_unrelayed ON events (seq) WHERE relayed_at IS NULL;
CREATE INDEX events_operator_seq ON events (operator_id, seq);

CREATE TABLE webhook_deliveries (
  id               uuid PRIMARY KEY,
  operator_id      uuid        NOT NULL,
  event_id         uuid        NOT NULL UNIQUE REFERENCES events(id),
  status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error       text,
  next_attempt_at  timestamptz,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_operator_status ON webhook_deliveries (operator_id, status, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_operator_created ON webhook_deliveries (operator_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- SPEC §8: append-only. operator_id is null only for admin actions that precede an operator.
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operator_id uuid,
  actor       text        NOT NULL,       -- 'operator', 'admin' or 'system'
  action      text        NOT NULL,
  player_id   text,
  bet_id      uuid,
  data        jsonb       NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_operator_id ON audit_log (operator_id, id DESC);
CREATE INDEX audit_operator_action_id ON audit_log (operator_id, action, id DESC);
CREATE INDEX audit_operator_player_id ON audit_log (operator_id, player_id, id DESC);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- SPEC §8: replaced wholesale by PUT /limits.
CREATE TABLE operator_limits (
  operator_id            uuid PRIMARY KEY REFERENCES operators(id),
  blocked_jurisdictions  text[]      NOT NULL DEFAULT '{}',
  currencies             jsonb       NOT NULL DEFAULT '{}',   -- {EUR: {maxBet, dailyLossLimit, dailyWinLimit}}
  updated_at             timestamptz NOT NULL DEFAULT now()
);

-- SPEC §3 idempotency for requests other than bets (bets carry their key on the row).
CREATE TABLE idempotency_records (
  operator_id     uuid        NOT NULL,
  scope           text        NOT NULL,    -- e.g. 'sessions.launch'
  key             text        NOT NULL,
  request_hash    text        NOT NULL,
  response_status integer     NOT NULL,
  response_body   jsonb       NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operator_id, scope, key)
);

-- SPEC §8 daily limits, per UTC day of placement: staked counts every accepted stake at
-- placement (so open stakes count as lost); returned is what came back to the player
-- (credits, rolled-back and refused debits). Net loss = staked - returned.
CREATE TABLE player_daily_totals (
  operator_id uuid    NOT NULL,
  player_id   text    NOT NULL,
  currency    char(3) NOT NULL,
  day         date    NOT NULL,
  staked      bigint  NOT NULL DEFAULT 0,
  returned    bigint  NOT NULL DEFAULT 0,
  PRIMARY KEY (operator_id, player_id, currency, day)
);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
DROP TABLE IF EXISTS player_daily_totals, idempotency_records, operator_limits, audit_log,
  webhook_deliveries, events, wallet_transactions, bets, rounds, sessions, seed_pairs, players, operators CASCADE;
DROP FUNCTION IF EXISTS audit_log_append_only();
`);
  }
}
