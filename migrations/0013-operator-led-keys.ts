import { Migration } from '@mikro-orm/migrations';

/**
 * Issue #21 point 4: every hot table of the bet path is keyed by its operator first, so
 * the schema can be distributed by `operator_id` (e.g. Citus, where every unique key must
 * contain the distribution column) without rewriting a query.
 *
 * - bets, rounds, seed_pairs, wallet_transactions: primary key (operator_id, id).
 * - sessions: primary key (operator_id, token).
 * - bet_transitions gains operator_id (copied from its bet) and its key becomes
 *   (operator_id, bet_id, version).
 * - rounds' unique keys lead with the operator too: one round per bet is
 *   (operator_id, bet_id), a nonce used once per seed pair is (operator_id, seed_pair_id, nonce).
 * - players and player_daily_totals were operator-led from the start (0001).
 *
 * Each id stays unique: bet, round, seed pair and session ids are random UUIDs minted by
 * the server, and a wallet transaction id is derived from its bet's id, so an id unique
 * within its operator is unique, as before. What the keys no longer do is answer a lookup
 * by id alone: every statement of the bet path names the operator (docs/scaling.md).
 *
 * Rebuilding a primary key rewrites its index and holds an ACCESS EXCLUSIVE lock on the
 * table meanwhile: run it in a maintenance window on a large database (docs/operations.md).
 */
export class OperatorLedKeys0013 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
ALTER TABLE bets DROP CONSTRAINT bets_pkey, ADD PRIMARY KEY (operator_id, id);

ALTER TABLE rounds DROP CONSTRAINT rounds_pkey, ADD PRIMARY KEY (operator_id, id);
ALTER TABLE rounds DROP CONSTRAINT rounds_bet_id_key, ADD CONSTRAINT rounds_operator_bet_key UNIQUE (operator_id, bet_id);
ALTER TABLE rounds DROP CONSTRAINT rounds_seed_pair_id_nonce_key,
  ADD CONSTRAINT rounds_operator_seed_pair_nonce_key UNIQUE (operator_id, seed_pair_id, nonce);

ALTER TABLE seed_pairs DROP CONSTRAINT seed_pairs_pkey, ADD PRIMARY KEY (operator_id, id);

ALTER TABLE wallet_transactions DROP CONSTRAINT wallet_transactions_pkey, ADD PRIMARY KEY (operator_id, id);

ALTER TABLE sessions DROP CONSTRAINT sessions_pkey, ADD PRIMARY KEY (operator_id, token);

ALTER TABLE bet_transitions ADD COLUMN operator_id uuid;
UPDATE bet_transitions t SET operator_id = b.operator_id FROM bets b WHERE b.id = t.bet_id;
ALTER TABLE bet_transitions ALTER COLUMN operator_id SET NOT NULL,
  DROP CONSTRAINT bet_transitions_pkey, ADD PRIMARY KEY (operator_id, bet_id, version);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
ALTER TABLE bet_transitions DROP CONSTRAINT bet_transitions_pkey, ADD PRIMARY KEY (bet_id, version), DROP COLUMN operator_id;
ALTER TABLE sessions DROP CONSTRAINT sessions_pkey, ADD PRIMARY KEY (token);
ALTER TABLE wallet_transactions DROP CONSTRAINT wallet_transactions_pkey, ADD PRIMARY KEY (id);
ALTER TABLE seed_pairs DROP CONSTRAINT seed_pairs_pkey, ADD PRIMARY KEY (id);
ALTER TABLE rounds DROP CONSTRAINT rounds_operator_seed_pair_nonce_key, ADD CONSTRAINT rounds_seed_pair_id_nonce_key UNIQUE (seed_pair_id, nonce);
ALTER TABLE rounds DROP CONSTRAINT rounds_operator_bet_key, ADD CONSTRAINT rounds_bet_id_key UNIQUE (bet_id);
ALTER TABLE rounds DROP CONSTRAINT rounds_pkey, ADD PRIMARY KEY (id);
ALTER TABLE bets DROP CONSTRAINT bets_pkey, ADD PRIMARY KEY (id);
`);
  }
}
