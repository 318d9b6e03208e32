import { Migration } from '@mikro-orm/migrations';

/**
 * `GET /audit` pages newest first by time (created_at, then id), like every other list,
 * through indexes in that order. Its indexes were in id order, so a `from`/`to` filter
 * had no index to use: a day's window a month back walked every newer row (1.9 s on
 * 3,000,000 rows, docs/performance.md), and would grow with the table. The three indexes
 * are replaced, not added to: an audit row (about three per bet) still pays three.
 * (Plain CREATE INDEX: it locks audit writes while it builds. Before this runs on a large
 * table, build the new indexes CONCURRENTLY by hand; IF NOT EXISTS then skips them.)
 */
export class AuditTimeOrderedIndexes0006 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE INDEX IF NOT EXISTS audit_operator_created ON audit_log (operator_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_operator_action_created ON audit_log (operator_id, action, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_operator_player_created ON audit_log (operator_id, player_id, created_at DESC, id DESC);
DROP INDEX IF EXISTS audit_operator_id;
DROP INDEX IF EXISTS audit_operator_action_id;
DROP INDEX IF EXISTS audit_operator_player_id;
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
CREATE INDEX IF NOT EXISTS audit_operator_id ON audit_log (operator_id, id DESC);
CREATE INDEX IF NOT EXISTS audit_operator_action_id ON audit_log (operator_id, action, id DESC);
CREATE INDEX IF NOT EXISTS audit_operator_player_id ON audit_log (operator_id, player_id, id DESC);
DROP INDEX IF EXISTS audit_operator_created;
DROP INDEX IF EXISTS audit_operator_action_created;
DROP INDEX IF EXISTS audit_operator_player_created;
`);
  }
}
