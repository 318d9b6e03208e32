import { Migration } from '@mikro-orm/migrations';

/**
 * `events_operator_seq` (operator_id, seq) has no reader: SSE history comes from the Redis
 * Streams, webhooks join events by id, and the relay reads by `seq` through
 * `events_unrelayed`. Every event row (~4.5 per bet) paid an insert into it; the bench's
 * per-statement costs (docs/performance.md) put index upkeep on the bet path's inserts.
 */
export class DropUnusedEventsIndex0002 extends Migration {
  override async up(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS events_operator_seq;');
  }

  override async down(): Promise<void> {
    this.addSql('CREATE INDEX IF NOT EXISTS events_operator_seq ON events (operator_id, seq);');
  }
}
