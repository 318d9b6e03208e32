import type { Queryable } from '../../shared/db.ts';
import { resealColumn, type ResealResult, type SealedColumn } from '../../shared/reseal-column.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';

// SPEC §11: an operator's wallet and webhook secrets are stored sealed
// (src/shared/secrets-keyring.ts), each for its own operator and column. Migration 0007
// makes Postgres refuse one in clear.

export type OperatorSecret = 'wallet_secret' | 'webhook_secret';

const columns: Record<OperatorSecret, SealedColumn> = {
  wallet_secret: { table: 'operators', column: 'wallet_secret', scope: 'true', context: (id) => `operators.wallet_secret:${id}` },
  webhook_secret: { table: 'operators', column: 'webhook_secret', scope: 'true', context: (id) => `operators.webhook_secret:${id}` },
};

export function sealOperatorSecret(keyring: SecretsKeyring, operatorId: string, which: OperatorSecret, secret: string): string {
  return keyring.seal(secret, columns[which].context(operatorId));
}

/**
 * A secret as stored. One not in the sealed format was stored before migration 0007 and
 * not sealed yet (a node seals those when it starts).
 */
export function openOperatorSecret(keyring: SecretsKeyring, operatorId: string, which: OperatorSecret, stored: string | null): string | null {
  if (stored === null) return null;
  return keyring.isSealed(stored) ? keyring.open(stored, columns[which].context(operatorId)) : stored;
}

/** Seals both secrets of every operator again: those in clear (`clear`), or all not under the current key (`not-current`). */
export async function resealOperatorSecrets(
  db: Queryable,
  keyring: SecretsKeyring,
  options: { mode: 'clear' | 'not-current'; batchSize: number },
): Promise<ResealResult> {
  const wallet = await resealColumn(db, keyring, columns.wallet_secret, options);
  const webhook = await resealColumn(db, keyring, columns.webhook_secret, options);
  return { resealed: wallet.resealed + webhook.resealed, unopenable: wallet.unopenable + webhook.unopenable };
}
