import { parseStoredSnapshot } from './stored-snapshot.ts';
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { OptimisticLockError } from '@mikro-orm/core';
import { openDb, type Db } from '../../shared/db.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { BetEntity, BetTransitionEntity } from './entity.ts';
import { RoundEntity } from '../rounds/entity.ts';
import { betStatus, restoreBetSnapshot, startBet } from '../../../machines/bet.runtime-api.ts';

// The Bet entity on the process's one pool: `version` is MikroORM's optimistic lock, the
// XState snapshot is mapped as JSON, the history is the `transitions` collection, and what the entity writes is what
// the hand-written statements read.

const operatorId = randomUUID();
let database: TestDatabase;
let db: Db;
test.before(async () => {
  database = await createTestDatabase();
  db = await openDb(database.url, 2);
});
test.after.always(async () => {
  await db?.end();
  await database?.drop();
});

/** A bet, its round and its first state, as plain data for `em.create`. */
function newBet() {
  const now = new Date();
  const id = randomUUID();
  const round = {
    id: randomUUID(),
    operatorId,
    playerId: 'entity-test-player',
    bet: [operatorId, id] as [string, string],
    seedPair: [operatorId, randomUUID()] as [string, string],
    game: 'dice',
    gameVersion: '1',
    config: { houseEdge: 1 },
    serverSeedHash: 'hash',
    clientSeed: 'client',
    nonce: 7,
    outcome: { roll: 12.34, win: true },
    createdAt: now,
  };
  const bet = {
    id,
    operatorId,
    playerId: 'entity-test-player',
    sessionToken: randomUUID(),
    round: [operatorId, round.id] as [string, string],
    idempotencyKey: randomUUID(),
    requestHash: 'hash',
    currency: 'EUR',
    amount: 1_000,
    payout: 1_980,
    game: 'dice',
    params: { target: 50, direction: 'under' },
    status: 'debiting',
    snapshot: startBet({ betId: id, amount: 1_000, payout: 1_980, win: true }).persisted as unknown as Record<string, unknown>,
    version: 1,
    rejectReason: null,
    nextAttemptAt: null,
    createdAt: now,
    updatedAt: now,
    settledAt: null,
  };
  return { round, bet, first: { bet: [operatorId, id] as [string, string], version: 1, state: 'debiting', at: now } };
}

async function create(data: ReturnType<typeof newBet>): Promise<void> {
  // The round first, on its own: a round and its bet name each other, and a unit of work
  // holding both would meet each as a reference to the other before creating it.
  await db.orm.em.fork().insert(RoundEntity, data.round);
  const em = db.orm.em.fork();
  em.create(BetEntity, data.bet);
  em.create(BetTransitionEntity, data.first);
  await em.flush();
}

test('a bet written through the EntityManager reads back with its round and its history collection, by the entity and by SQL', async (t) => {
  const data = newBet();
  await create(data);

  const loaded = await db.orm.em.fork().findOneOrFail(BetEntity, { operatorId, id: data.bet.id }, { populate: ['transitions', 'round'] });
  t.deepEqual(loaded.snapshot, data.bet.snapshot);
  t.is(loaded.version, 1);
  t.is(loaded.amount, 1_000, 'money is a number, not a bigint');
  t.is(loaded.round.serverSeedHash, 'hash');
  t.deepEqual(loaded.transitions.getItems().map((row) => [row.version, row.state]), [[1, 'debiting']]);
  t.is(betStatus(restoreBetSnapshot(parseStoredSnapshot(loaded.snapshot))), 'debiting', 'the machine restores from the stored snapshot');
  const { rows } = await db.query<{ snapshot: unknown; version: number; amount: number }>('SELECT snapshot, version, amount FROM bets WHERE operator_id = $1 AND id = $2', [operatorId, data.bet.id]);
  t.deepEqual(rows[0], { snapshot: data.bet.snapshot, version: 1, amount: 1_000 });
});

test('version is the optimistic lock: the second of two writers working from one version fails', async (t) => {
  const data = newBet();
  await create(data);

  const first = db.orm.em.fork();
  const second = db.orm.em.fork();
  const [mine, theirs] = await Promise.all([first.findOneOrFail(BetEntity, { operatorId, id: data.bet.id }), second.findOneOrFail(BetEntity, { operatorId, id: data.bet.id })]);
  mine.status = 'crediting';
  mine.transitions.add(first.create(BetTransitionEntity, { bet: mine, version: 2, state: 'crediting', at: new Date() }));
  await first.flush();
  t.is(mine.version, 2, 'MikroORM bumped the version with the update');

  theirs.status = 'rolling_back';
  await t.throwsAsync(second.flush(), { instanceOf: OptimisticLockError });
  const { rows } = await db.query<{ status: string; version: number }>('SELECT status, version FROM bets WHERE operator_id = $1 AND id = $2', [operatorId, data.bet.id]);
  t.deepEqual(rows[0], { status: 'crediting', version: 2 }, 'the stale write changed nothing');
  const history = await db.orm.em.fork().find(BetTransitionEntity, { bet: { operatorId, id: data.bet.id } }, { orderBy: { version: 'asc' } });
  t.deepEqual(history.map((row) => row.state), ['debiting', 'crediting']);
});
