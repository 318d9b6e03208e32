import { randomUUID } from 'node:crypto';
import { openDb, type Db } from '../../src/shared/db.ts';
import { insertOperator } from '../../src/modules/operators/store.ts';
import { createSessionsService } from '../../src/modules/sessions/service.ts';
import { createPlacementStatements } from '../../src/modules/bets/placement-statements.ts';
import type { PlacementDeps } from '../../src/modules/bets/placement.ts';
import type { RetryPolicy } from '../../src/modules/bets/retry-policy.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { testKeyring } from './secrets.ts';

// What the bets module's own tests (src/modules/bets/*.test.ts) stand on: a database
// cloned from the template, one operator, and sessions launched through the sessions
// service as an operator's launch would, in this process. No node, no HTTP, no Redis.

const POLICY: RetryPolicy = { debitAttempts: 3, baseMs: 100, maxMs: 1_000, parkAfterMs: 60_000, leaseMs: 30_000 };

export interface BetsModuleFixture {
  db: Db;
  operatorId: string;
  /** What placeBet needs: the node's shared statements over `db`. */
  placement: PlacementDeps;
  /** Launches a session (player and seed pair made on first launch); answers its token. */
  launch(playerId: string, currency?: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBetsModule(): Promise<BetsModuleFixture> {
  const database: TestDatabase = await createTestDatabase();
  const db = await openDb(database.url, 4);
  const operatorId = randomUUID();
  await insertOperator(db.orm.em.fork(), { id: operatorId, name: `module-test-${operatorId}`, apiKeyHash: randomUUID() });
  const sessions = createSessionsService({ db, keyring: testKeyring, sessionTtlSeconds: 3_600, eventsCommitted: () => {} });
  return {
    db,
    operatorId,
    placement: { db, policy: POLICY, keyring: testKeyring, statements: createPlacementStatements(db, testKeyring) },
    async launch(playerId, currency = 'EUR') {
      const { body } = await sessions.launch(db.orm.em.fork(), operatorId, { playerId, currency, jurisdiction: 'MT' });
      return body.sessionToken;
    },
    async close() {
      await db.end();
      await database.drop();
    },
  };
}
