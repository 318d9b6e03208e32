import type { Queryable } from '../../shared/db.ts';
import { statementBatchSize } from '../../shared/metrics.ts';
import { createStatementBatcher } from '../../shared/statement-batcher.ts';
import type { BetRecord } from './bet-view.ts';
import { persistTransitions, type TransitionInput } from './transitions.ts';

// One statement in flight per node: transitions that become ready meanwhile go together in
// the next one. Measured (npm run bench, one run each, c=64): with one in flight the
// cluster settled 928 bets/s, against 713 with two, whose batches were smaller. 64 bounds
// one statement's parameter and the rows it locks.
const STATEMENTS_IN_FLIGHT = 1;
const MAX_BATCH = 64;

export interface TransitionWriter {
  /** Persists one accepted transition: the updated bet, or undefined if another runner advanced it first. */
  persist(input: TransitionInput): Promise<BetRecord | undefined>;
}

/** Bet transitions, group-committed (statement-batcher.ts); one bet appears at most once per statement. */
export function createTransitionWriter(db: Queryable): TransitionWriter {
  const persist = createStatementBatcher<TransitionInput, BetRecord | undefined>({
    run: (inputs) => persistTransitions(db, inputs),
    inFlight: STATEMENTS_IN_FLIGHT,
    maxBatch: MAX_BATCH,
    exclusive: (input) => input.bet.id,
    onBatch: (size) => statementBatchSize.observe({ statement: 'bet_transition' }, size),
  });
  return { persist };
}
