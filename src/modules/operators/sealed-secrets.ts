import type { Queryable } from '../../shared/db.ts';
import { resealTable, type ResealResult, type SealedTable } from '../../shared/reseal-table.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';

// SPEC §11: an operator's wallet and webhook secrets are stored sealed
// (src/shared/secrets-keyring.ts), each for its own operator and column. Migration 0007
// makes Postgres refuse one in clear.

export type OperatorSecret = 'wallet_secret' | 'webhook_secret';

const context = (operatorId: string, which: OperatorSecret) => `operators.${which}:${operatorId}`;

const operators: SealedTable = {
  table: 'operators',
  scope: 'true',
  columns: { wallet_secret: (id) => context(id, 'wallet_secret'), webhook_secret: (id) => context(id, 'webhook_secret') },
};

export function sealOperatorSecret(keyring: SecretsKeyring, operatorId: string, which: OperatorSecret, secret: string): string {
  return keyring.seal(secret, context(operatorId, which));
}

/**
 * A secret as stored. One not in the sealed format was stored before migration 0007 and
 * not sealed yet (a node seals those when it starts).
 */
export function openOperatorSecret(keyring: SecretsKeyring, operatorId: string, which: OperatorSecret, stored: string | null): string | null {
  if (stored === null) return null;
  return keyring.isSealed(stored) ? keyring.open(stored, context(operatorId, which)) : stored;
}

/** Seals every operator's secrets again: those in clear (`clear`), or all not under the current key (`not-current`). */
export function resealOperatorSecrets(db: Queryable, keyring: SecretsKeyring, options: { mode: 'clear' | 'not-current'; batchSize: number }): Promise<ResealResult> {
  return resealTable(db, keyring, operators, options);
}
