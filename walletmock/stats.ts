import { operations, type Operation } from './faults.ts';
import type { LedgerOutcome } from './ledger.ts';

/**
 * Each wallet request is counted once, under how it ended: by the ledger (applied,
 * refused, duplicate), by an injected fault (error, timeout, lost: applied but the
 * answer dropped, refusedRetry: a retry refused with a 4xx), or before reaching either
 * (unauthorized = 401, invalid = 400).
 * Lets tests assert what the RGS actually sent, e.g. that a retry happened.
 */
type RequestOutcome = LedgerOutcome | 'error' | 'timeout' | 'lost' | 'refusedRetry' | 'unauthorized' | 'invalid';

type Counts = Record<RequestOutcome, number>;

const zeroCounts = (): Counts => ({
  applied: 0,
  refused: 0,
  duplicate: 0,
  error: 0,
  timeout: 0,
  lost: 0,
  refusedRetry: 0,
  unauthorized: 0,
  invalid: 0,
});

export interface RequestStats {
  count(operation: Operation, outcome: RequestOutcome): void;
  snapshot(): Record<Operation, Counts>;
  reset(): void;
}

export function createRequestStats(): RequestStats {
  let counts: Record<Operation, Counts> = { debit: zeroCounts(), credit: zeroCounts(), rollback: zeroCounts() };
  return {
    count(operation, outcome) {
      counts[operation][outcome] += 1;
    },
    snapshot: () =>
      Object.fromEntries(operations.map((operation) => [operation, { ...counts[operation] }])) as Record<
        Operation,
        Counts
      >,
    reset() {
      counts = { debit: zeroCounts(), credit: zeroCounts(), rollback: zeroCounts() };
    },
  };
}
