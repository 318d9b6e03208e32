import type { JobPayload } from '../catalog.ts';
import type { BetRuntime } from '../../src/modules/bets/runtime.ts';

/** One debit attempt of a bet (SPEC §4): the wallet's answer becomes the machine's next event. */
export const debitProcessor = (runtime: BetRuntime) => async (payload: JobPayload<'debit'>) => {
  await runtime.runStep('debit', payload.operatorId, payload.betId);
};
