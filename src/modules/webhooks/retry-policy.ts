/**
 * SPEC §7 webhook retries: exponential backoff up to a bound, then `failed`. Settings come
 * from WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_BASE_MS and WEBHOOK_RETRY_MAX_MS.
 */
export interface WebhookRetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/** Delay after the `attempts`-th failed attempt (≥ 1), with ±20 % jitter so receivers coming back are not stampeded. */
export function webhookRetryDelayMs(policy: WebhookRetryPolicy, attempts: number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}
