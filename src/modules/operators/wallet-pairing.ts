import type { FieldProblem } from '../../shared/errors.ts';

/**
 * SPEC §6: an operator's own wallet is called with its own secret, never with the
 * deployment-wide WALLET_SECRET (which serves only operators without a wallet URL, the demo
 * operators). So a wallet URL and a wallet secret are set together or not at all; this
 * names what is missing from an operator's settings as they would be after a change.
 */
export function walletPairingProblems(settings: { walletUrl: boolean; walletSecret: boolean }): FieldProblem[] {
  if (settings.walletUrl && !settings.walletSecret) {
    return [{ path: 'body.walletSecret', message: 'required with walletUrl: each operator signs its wallet calls with its own secret' }];
  }
  if (settings.walletSecret && !settings.walletUrl) {
    return [{ path: 'body.walletUrl', message: 'required with walletSecret: the default wallet is signed with the deployment secret' }];
  }
  return [];
}
