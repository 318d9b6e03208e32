import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §11: wallet and webhook secrets and unrevealed server seeds are stored sealed
 * (AES-256-GCM under SECRETS_KEY, `v1:<key id>:…`, src/shared/secrets-keyring.ts).
 *
 * SQL cannot seal: it does not know SECRETS_KEY. So this migration only makes Postgres
 * refuse, from now on, any write that would store one of them in clear (an unrevealed
 * seed is one of an active pair, or of a pair never revealed; a revealed seed is public
 * and stays in clear). The constraints are NOT VALID: the values already stored in clear
 * are accepted as they are until a node seals them, which every node does when it starts,
 * before it serves (and `npm run secrets:reencrypt` does too). Until then a write to such
 * a row fails, so no old row is ever changed and left in clear.
 *
 * Nodes of the previous version must be stopped before this runs: they would take a
 * sealed seed for the seed itself.
 */
export class SecretsSealedAtRest0007 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
ALTER TABLE operators ADD CONSTRAINT operators_wallet_secret_sealed
  CHECK (wallet_secret IS NULL OR wallet_secret LIKE 'v1:%') NOT VALID;
ALTER TABLE operators ADD CONSTRAINT operators_webhook_secret_sealed
  CHECK (webhook_secret IS NULL OR webhook_secret LIKE 'v1:%') NOT VALID;
ALTER TABLE seed_pairs ADD CONSTRAINT seed_pairs_server_seed_sealed
  CHECK (server_seed LIKE 'v1:%' OR (revealed_at IS NOT NULL AND NOT active)) NOT VALID;
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
ALTER TABLE operators DROP CONSTRAINT IF EXISTS operators_wallet_secret_sealed;
ALTER TABLE operators DROP CONSTRAINT IF EXISTS operators_webhook_secret_sealed;
ALTER TABLE seed_pairs DROP CONSTRAINT IF EXISTS seed_pairs_server_seed_sealed;
`);
  }
}
