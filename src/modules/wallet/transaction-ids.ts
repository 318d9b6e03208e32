/**
 * SPEC §4/§6: every wallet call of a bet uses a deterministic transaction id, so every
 * retry — from any node, after any crash — is the same wallet transaction.
 */
export type WalletCallKind = 'debit' | 'credit' | 'rollback';

export function walletTransactionId(betId: string, kind: WalletCallKind): string {
  return `${betId}:${kind}`;
}
