import { Migration } from '@mikro-orm/migrations';

/**
 * `operators.version`: MikroORM's optimistic lock for the admin API. A `PATCH
 * /admin/operators/:id` writes only where the version is still the one it read and bumps
 * it, so two concurrent changes cannot judge the wallet settings on a row the other just
 * changed (the loser reads again once). Every change of an operator's settings or key
 * bumps it; re-sealing its secrets under a new SECRETS_KEY does not (the values stay the same).
 */
export class OperatorsVersion0010 extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE operators ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1;');
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE operators DROP COLUMN IF EXISTS version;');
  }
}
