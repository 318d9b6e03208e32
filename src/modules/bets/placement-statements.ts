import type { Queryable } from '../../shared/db.ts';
import { statementBatchSize } from '../../shared/metrics.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { createStatementBatcher } from '../../shared/statement-batcher.ts';
import { openServerSeed } from '../fairness/sealed-seeds.ts';
import { insertBets, readPlayers, type BetInsert, type BetInserted, type PlayerContext, type PlayerLookup } from './store.ts';

// The two statements of a placement (placement.ts has the flow, store.ts the statements).
// Both are set-based: on the normal path a node's concurrent placements share them
// (statement-batcher.ts), so under load one round trip reads for many requests and one
// statement writes many bets.

/** The store's read, with each seed pair's server seed opened. */
async function readPlayersOpened(db: Queryable, keyring: SecretsKeyring, lookups: PlayerLookup[], lock: 'none' | 'seed pair'): Promise<PlayerContext[]> {
  const rows = await readPlayers(db, lookups, lock);
  // Opening a sealed seed costs about 6 µs (measured, AES-256-GCM): no cache of opened seeds is worth keeping.
  for (const row of rows) if (row.seed) row.seed.server_seed = openServerSeed(keyring, row.seed.id, row.seed.server_seed);
  return rows;
}

// As for transitions: one statement of each kind in flight per node, 64 bets at most.
const STATEMENTS_IN_FLIGHT = 1;
const MAX_BATCH = 64;

export interface PlacementStatements {
  /** The context with the seed pair's server seed opened. */
  readPlayer(lookup: PlayerLookup): Promise<PlayerContext>;
  insertBet(bet: BetInsert): Promise<BetInserted>;
}

/** The normal path's statements, shared by this node's concurrent placements. */
export function createPlacementStatements(db: Queryable, keyring: SecretsKeyring): PlacementStatements {
  return {
    readPlayer: createStatementBatcher<PlayerLookup, PlayerContext>({
      run: (lookups) => readPlayersOpened(db, keyring, lookups, 'none'),
      inFlight: STATEMENTS_IN_FLIGHT,
      maxBatch: MAX_BATCH,
      onBatch: (size) => statementBatchSize.observe({ statement: 'bet_read_player' }, size),
    }),
    insertBet: createStatementBatcher<BetInsert, BetInserted>({
      run: (bets) => insertBets(db, bets),
      inFlight: STATEMENTS_IN_FLIGHT,
      maxBatch: MAX_BATCH,
      onBatch: (size) => statementBatchSize.observe({ statement: 'bet_insert' }, size),
    }),
  };
}

/** The same statements for one placement on a transaction's connection, the read taking the seed pair's row lock. */
export function lockedPlacementStatements(client: Queryable, keyring: SecretsKeyring): PlacementStatements {
  return {
    readPlayer: async (lookup) => (await readPlayersOpened(client, keyring, [lookup], 'seed pair'))[0]!,
    insertBet: async (bet) => (await insertBets(client, [bet]))[0]!,
  };
}
