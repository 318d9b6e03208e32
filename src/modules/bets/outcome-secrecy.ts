import { isDebitApplied, type BetStatus } from '../../../machines/bet.machine.ts';

// SPEC §5: nothing that reveals an outcome (roll, win, payout) is observable while the
// bet's debit is not applied. Otherwise an operator's wallet could look the bet up while
// it holds the debit (GET /bets/:id, GET /rounds/:id, …) and refuse only winning ones.
// Every view of a bet or a round asks here; the machine says which states come after
// an applied debit (isDebitApplied).

/**
 * The outcome shows once the stake is taken, or once the bet's seed pair is revealed by a
 * rotation (from then on anyone can recompute it: that is what a rejected or cancelled
 * bet waits for). A seed pair is revealed only when all its bets are final, so a revealed
 * seed never uncovers a bet still in play.
 */
export function outcomeShown(status: BetStatus, seedRevealed: boolean): boolean {
  return isDebitApplied(status) || seedRevealed;
}

/**
 * The payout (0 on a loss) shows once the stake is taken. A bet whose debit was refused or
 * rolled back paid nothing and pays nothing: 0, even after its seed is revealed.
 */
export function payoutShown(status: BetStatus): boolean {
  return isDebitApplied(status);
}
