import { Migration } from '@mikro-orm/migrations';

/**
 * A bet's state history becomes rows of its own (`bet_transitions`), the MikroORM
 * collection `Bet.transitions` (src/modules/bets/entity.ts), instead of a jsonb array
 * rewritten on every transition.
 *
 * One row per state the bet entered, keyed by the bet's version at that moment (a bet's
 * versions are unique and grow with every transition, so they order the history).
 * No foreign key to `bets`: the row is written in the same statement as the bet's own
 * (src/modules/bets/store.ts), bets are never deleted, and the key check would cost an
 * index probe on every transition of the hot path (as 0004 did for rounds).
 *
 * The existing histories are copied, numbered in their order (their versions were not
 * recorded; the row numbers keep the order and stay below every version to come).
 */
export class BetTransitions0008 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE bet_transitions (
  bet_id  uuid        NOT NULL,
  version integer     NOT NULL,
  state   text        NOT NULL,
  at      timestamptz NOT NULL,
  PRIMARY KEY (bet_id, version)
);
INSERT INTO bet_transitions (bet_id, version, state, at)
SELECT b.id, h.ord, h.entry->>'state', (h.entry->>'at')::timestamptz
  FROM bets b, jsonb_array_elements(b.history) WITH ORDINALITY AS h(entry, ord);
ALTER TABLE bets DROP COLUMN history;
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
ALTER TABLE bets ADD COLUMN history jsonb NOT NULL DEFAULT '[]';
UPDATE bets b SET history = t.history
  FROM (SELECT bet_id, jsonb_agg(jsonb_build_object('state', state, 'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY version) AS history
          FROM bet_transitions GROUP BY bet_id) t
 WHERE t.bet_id = b.id;
DROP TABLE bet_transitions;
`);
  }
}
