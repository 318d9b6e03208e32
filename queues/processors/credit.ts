import type { JobPayload } from '../catalog.ts';
import type { BetRuntime } from '../../src/modules/bets/runtime.ts';

/** One credit attempt of a won bet; failures go on as credit_pending (the outbox) until paid, a refusal parks it (credit_parked). */
export const creditProcessor = (runtime: BetRuntime) => async (payload: JobPayload<'credit'>) => {
  await runtime.runStep('credit', payload.operatorId, payload.betId);
};
