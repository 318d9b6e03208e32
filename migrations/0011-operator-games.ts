import { Migration } from '@mikro-orm/migrations';

/**
 * Per-operator game settings (issue #20): `games_enabled`, the ids of the games the
 * operator offers — NULL, as every operator has until an admin sets a list, means every
 * game of the registry, so a new operator has every game; `games_config`, the settings it
 * chose per game (`{"dice": {"houseEdge": 1.5}}`), the game's defaults for the rest. The
 * games' own schemas check both on every change (src/games/settings.ts).
 */
export class OperatorGames0011 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      "ALTER TABLE operators ADD COLUMN IF NOT EXISTS games_enabled text[], ADD COLUMN IF NOT EXISTS games_config jsonb NOT NULL DEFAULT '{}';",
    );
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE operators DROP COLUMN IF EXISTS games_enabled, DROP COLUMN IF EXISTS games_config;');
  }
}
