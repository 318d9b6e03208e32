import { Migration } from '@mikro-orm/migrations';

/**
 * `rounds.seed_pair_id` loses its foreign key. The key's check ran as a trigger on every
 * round insert (a locking lookup of the seed pair through SPI): about a third of the
 * placement statement's time, measured with auto_explain on the benchmark. What it
 * guarded holds without it:
 *
 * - a round names an existing seed pair: rounds are inserted only by the placement
 *   statement, and only from the row its nonce compare-and-set just updated (same id);
 * - a seed pair is never removed while rounds need it for verification (SPEC §5): no code
 *   deletes seed pairs, and a trigger now refuses DELETE and TRUNCATE outright, which the
 *   key did not (it allowed deleting a pair that had no rounds yet).
 */
export class RoundsSeedPairWithoutForeignKey0004 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
ALTER TABLE rounds DROP CONSTRAINT IF EXISTS rounds_seed_pair_id_fkey;
CREATE FUNCTION seed_pairs_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'seed pairs are kept for verification (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER seed_pairs_no_delete BEFORE DELETE OR TRUNCATE ON seed_pairs FOR EACH STATEMENT EXECUTE FUNCTION seed_pairs_kept();
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
DROP TRIGGER IF EXISTS seed_pairs_no_delete ON seed_pairs;
DROP FUNCTION IF EXISTS seed_pairs_kept();
ALTER TABLE rounds ADD CONSTRAINT rounds_seed_pair_id_fkey FOREIGN KEY (seed_pair_id) REFERENCES seed_pairs(id);
`);
  }
}
