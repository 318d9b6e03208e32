import type { Queryable } from '../../shared/db.ts';
import { betTransitionBatchSize } from '../../shared/metrics.ts';
import type { BetRecord } from './bet-view.ts';
import { persistTransitions, type TransitionInput } from './transitions.ts';

// How many transition statements one node keeps in flight. Transitions that become ready
// while they run are written together by the next statement: under load many bets settle
// at once and share one round trip, one statement start-up and one commit (group commit);
// a lone transition on a quiet node is written at once.
const STATEMENTS_IN_FLIGHT = 2;
// Bounds one statement's size (its jsonb parameter and the rows it locks).
const MAX_BATCH = 64;

interface Pending {
  input: TransitionInput;
  resolve: (bet: BetRecord | undefined) => void;
  reject: (error: unknown) => void;
}

export interface TransitionWriter {
  /** Persists one accepted transition: the updated bet, or undefined if another runner advanced it first. */
  persist(input: TransitionInput): Promise<BetRecord | undefined>;
}

export function createTransitionWriter(db: Queryable): TransitionWriter {
  const waiting: Pending[] = [];
  let inFlight = 0;

  /** The next batch: in arrival order, at most one transition per bet (a second waits for the next batch). */
  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const bets = new Set<string>();
    for (let index = 0; index < waiting.length && batch.length < MAX_BATCH; ) {
      const pending = waiting[index]!;
      if (bets.has(pending.input.bet.id)) {
        index += 1;
        continue;
      }
      bets.add(pending.input.bet.id);
      batch.push(pending);
      waiting.splice(index, 1);
    }
    return batch;
  }

  async function write(batch: Pending[]): Promise<void> {
    try {
      const updated = await persistTransitions(
        db,
        batch.map((pending) => pending.input),
      );
      batch.forEach((pending, index) => pending.resolve(updated[index]));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One statement fails as a whole (e.g. a deadlock with another node's batch, or a
      // row one bet could not write): write each alone, so one bet's failure is its own.
      await Promise.all(batch.map((pending) => write([pending])));
    }
  }

  function flush(): void {
    while (inFlight < STATEMENTS_IN_FLIGHT && waiting.length > 0) {
      const batch = takeBatch();
      betTransitionBatchSize.observe(batch.length);
      inFlight += 1;
      void write(batch).finally(() => {
        inFlight -= 1;
        flush();
      });
    }
  }

  return {
    persist(input) {
      return new Promise<BetRecord | undefined>((resolve, reject) => {
        waiting.push({ input, resolve, reject });
        flush();
      });
    },
  };
}
