import type { JobPayload } from '../catalog.ts';
import type { BetRuntime } from '../../src/modules/bets/runtime.ts';

/** One rollback attempt of a debit whose result stayed unknown; retried until acknowledged or parked. */
export const rollbackProcessor = (runtime: BetRuntime) => async (payload: JobPayload<'rollback'>) => {
  await runtime.runStep('rollback', payload.operatorId, payload.betId);
};
