import { mulberry32 } from './seeded-random.ts';
import type { FaultsBody, OperationFaults } from './schemas.ts';

export type Operation = 'debit' | 'credit' | 'rollback';
export const operations: readonly Operation[] = ['debit', 'credit', 'rollback'];

interface FaultConfig {
  seed: number | null;
  debit: OperationFaults;
  credit: OperationFaults;
  rollback: OperationFaults;
}

/**
 * What happens to one signed, valid wallet request (SPEC §6):
 * - error: 500, nothing applied;
 * - timeout: no answer at all, nothing applied;
 * - lost-error / lost-cut: applied, then a 500 or a cut connection, so the caller
 *   cannot tell it from an error or a timeout and must retry idempotently;
 * - refuse-*: a retry (a transactionId seen before) refused with a 4xx and nothing
 *   applied, as a gateway answers while the wallet behind it is being deployed. After an
 *   earlier attempt that ended unknown, such a refusal says nothing about that attempt.
 */
type FaultDecision = 'none' | 'error' | 'timeout' | 'lost-error' | 'lost-cut' | RetryRefusal;
type RetryRefusal = 'refuse-not-found' | 'refuse-duplicate' | 'refuse-bad-request';

/** The answers a refused retry gets, one drawn per answer: what gateways and wallets say. */
export const retryRefusals: Readonly<Record<RetryRefusal, { status: 400 | 404 | 409; body: { code: string } }>> = {
  'refuse-not-found': { status: 404, body: { code: 'NOT_FOUND' } },
  'refuse-duplicate': { status: 409, body: { code: 'DUPLICATE_TRANSACTION' } },
  'refuse-bad-request': { status: 400, body: { code: 'BAD_REQUEST' } },
};
const refusalKinds = Object.keys(retryRefusals) as RetryRefusal[];

export function isRetryRefusal(decision: FaultDecision): decision is RetryRefusal {
  return decision in retryRefusals;
}

// The transactionIds seen, to tell a retry from a first attempt. A retry comes within
// seconds of its first attempt, so the most recent ids are enough; the bound keeps a
// long benchmark from growing the set forever.
const seenLimit = 200_000;

const noFaults = (): OperationFaults => ({ errorRate: 0, timeoutRate: 0, lostResponseRate: 0, refuseRetryRate: 0, latencyMs: 0 });

export interface FaultInjector {
  /** Replaces the whole configuration: omitted operations and fields are 0. */
  configure(body: FaultsBody): FaultConfig;
  current(): FaultConfig;
  latencyOf(operation: Operation): number;
  /** Decides the fault of one request; `transactionId` is remembered, so its repeats are retries. */
  decide(operation: Operation, transactionId: string): FaultDecision;
  /** Forgets the transactionIds seen (POST /__reset). */
  reset(): void;
}

export function createFaultInjector(): FaultInjector {
  let config: FaultConfig = { seed: null, debit: noFaults(), credit: noFaults(), rollback: noFaults() };
  let random: () => number = Math.random;
  // Per operation: a debit's id seen says nothing about a credit's.
  let seen: Record<Operation, Set<string>> = { debit: new Set(), credit: new Set(), rollback: new Set() };

  /** true if this operation saw the id before; remembers it either way. */
  function isRetry(operation: Operation, transactionId: string): boolean {
    const ids = seen[operation];
    if (ids.has(transactionId)) return true;
    ids.add(transactionId);
    if (ids.size > seenLimit) ids.delete(ids.values().next().value as string);
    return false;
  }

  return {
    configure(body) {
      config = {
        seed: body.seed ?? null,
        debit: body.debit ?? noFaults(),
        credit: body.credit ?? noFaults(),
        rollback: body.rollback ?? noFaults(),
      };
      // Every PUT with a seed restarts the sequence, so the same PUT followed by the
      // same requests gives the same faults.
      random = body.seed === undefined ? Math.random : mulberry32(body.seed);
      return config;
    },
    current: () => config,
    latencyOf: (operation) => config[operation].latencyMs,
    decide(operation, transactionId) {
      const { errorRate, timeoutRate, lostResponseRate, refuseRetryRate } = config[operation];
      const retry = isRetry(operation, transactionId);
      // No draw unless the rate can apply: a seeded sequence is not shifted by requests
      // that cannot be refused, and configurations without this option replay as before.
      if (retry && refuseRetryRate > 0 && random() < refuseRetryRate) {
        return refusalKinds[Math.floor(random() * refusalKinds.length)] ?? 'refuse-not-found';
      }
      // No draw when the operation has no faults: the fault-free hot path stays cheap
      // and a seeded sequence is not shifted by operations that cannot fail.
      if (errorRate === 0 && timeoutRate === 0 && lostResponseRate === 0) return 'none';
      const roll = random();
      if (roll < errorRate) return 'error';
      if (roll < errorRate + timeoutRate) return 'timeout';
      if (roll < errorRate + timeoutRate + lostResponseRate) {
        return random() < 0.5 ? 'lost-error' : 'lost-cut';
      }
      return 'none';
    },
    reset() {
      seen = { debit: new Set(), credit: new Set(), rollback: new Set() };
    },
  };
}
