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
 * What happens to one signed, valid wallet request (SPEC §6), after `refusesRepeat`:
 * - error: 500, nothing applied;
 * - timeout: no answer at all, nothing applied;
 * - lost-error / lost-cut: applied, then a 500 or a cut connection, so the caller
 *   cannot tell it from an error or a timeout and must retry idempotently.
 */
type FaultDecision = 'none' | 'error' | 'timeout' | 'lost-error' | 'lost-cut';

const noFaults = (): OperationFaults => ({ errorRate: 0, timeoutRate: 0, lostResponseRate: 0, latencyMs: 0, repeatRefusalRate: 0 });

export interface FaultInjector {
  /** Replaces the whole configuration: omitted operations and fields are 0. */
  configure(body: FaultsBody): FaultConfig;
  current(): FaultConfig;
  latencyOf(operation: Operation): number;
  /**
   * `repeatRefusalRate`: true when this request repeats a transactionId seen before (while
   * the rate was set) and is to be refused without touching the ledger. So an attempt that
   * was applied and lost, or timed out, can have its retry refused with a 4xx, which the
   * RGS must not take for the wallet's final word.
   */
  refusesRepeat(operation: Operation, transactionId: string): boolean;
  decide(operation: Operation): FaultDecision;
}

export function createFaultInjector(): FaultInjector {
  let config: FaultConfig = { seed: null, debit: noFaults(), credit: noFaults(), rollback: noFaults() };
  let random: () => number = Math.random;
  // Transaction ids seen while their operation had a repeatRefusalRate; never forgotten
  // (a PUT must not turn a retry into a first attempt), and empty unless the option is used.
  const seen = new Set<string>();

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
    refusesRepeat(operation, transactionId) {
      const rate = config[operation].repeatRefusalRate;
      if (rate === 0) return false;
      if (!seen.has(transactionId)) {
        seen.add(transactionId);
        return false;
      }
      return random() < rate;
    },
    decide(operation) {
      const { errorRate, timeoutRate, lostResponseRate } = config[operation];
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
  };
}
