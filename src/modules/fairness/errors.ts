/**
 * A bet whose win would pay more than Number.MAX_SAFE_INTEGER minor units cannot be
 * represented in the API or the wallet protocol (§3 Money), so it is refused up front
 * as a client error, whatever the roll.
 */
export class PayoutTooLargeError extends Error {
  readonly code = 'PAYOUT_TOO_LARGE';
  readonly status = 400;
  readonly detail: string;

  constructor(amount: number, payout: bigint) {
    const detail = `a win would pay ${payout} minor units for a stake of ${amount}, more than ${Number.MAX_SAFE_INTEGER}`;
    super(detail);
    this.name = 'PayoutTooLargeError';
    this.detail = detail;
  }
}
