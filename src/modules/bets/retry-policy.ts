/**
 * SPEC §4 retry bounds, in one place. Debits retry a few times quickly (the request is
 * waiting); credits and rollbacks back off exponentially up to a cap, forever for credits
 * (money owed is always paid) and until the park bound for rollbacks.
 */
export interface RetryPolicy {
  debitAttempts: number;
  baseMs: number;
  maxMs: number;
  parkAfterMs: number;
  /** How long an attempt may be in flight before the sweeper may assume it was lost. */
  leaseMs: number;
}

/** Delay before attempt `attempt` (≥ 2) of a wallet call, with ±20 % jitter so retries spread out. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 2));
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}
