import type { WalletStep } from '../../../machines/bet.machine.ts';

/** A wallet call of a bet: one of the machine's wallet steps. */
export type WalletCallKind = WalletStep;

/**
 * SPEC §4/§6: every wallet call of a bet uses a deterministic transaction id, so every
 * retry — from any node, after any crash — is the same wallet transaction.
 */
export function walletTransactionId(betId: string, kind: WalletCallKind): string {
  return `${betId}:${kind}`;
}
