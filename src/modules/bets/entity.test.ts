import test from 'ava';
import { randomUUID } from 'node:crypto';
import { OptimisticLockError } from '@mikro-orm/core';
import { openDb, type Db } from '../../shared/db.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { BetEntity, type Bet } from './entity.ts';

// The Bet entity on the process's one pool: `version` is MikroORM's optimistic lock, the
// XState snapshot and the history are mapped as JSON, and what the entity writes is what
// the hand-written statements read.

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

function newBet(): Bet {
  const now = new Date();
  return {
    id: randomUUID(),
    operatorId: randomUUID(),
    playerId: 'entity-test-player',
    sessionToken: randomUUID(),
    roundId: randomUUID(),
    idempotencyKey: randomUUID(),
    requestHash: 'hash',
    currency: 'EUR',
    amount: 1_000,
    payout: 0,
    game: 'dice',
    params: { target: 50, direction: 'under' },
    status: 'debiting',
    snapshot: { status: 'active', value: 'debiting', context: { attempt: 1 } },
    version: 1,
    history: [{ state: 'debiting', at: now.toISOString() }],
    rejectReason: null,
    nextAttemptAt: null,
    createdAt: now,
    updatedAt: now,
    settledAt: null,
  };
}

test('a bet written through the EntityManager reads back the same, by the entity and by SQL', async (t) => {
  const bet = newBet();
  const em = db.orm.em.fork();
  em.create(BetEntity, bet);
  await em.flush();

  const loaded = await db.orm.em.fork().findOneOrFail(BetEntity, bet.id);
  t.deepEqual(loaded.snapshot, bet.snapshot);
  t.deepEqual(loaded.history, bet.history);
  t.is(loaded.version, 1);
  const { rows } = await db.query<{ snapshot: unknown; version: number; amount: number }>('SELECT snapshot, version, amount FROM bets WHERE id = $1', [bet.id]);
  t.deepEqual(rows[0], { snapshot: bet.snapshot, version: 1, amount: 1_000 });
});

test('version is the optimistic lock: the second of two writers working from one version fails', async (t) => {
  const bet = newBet();
  const creating = db.orm.em.fork();
  creating.create(BetEntity, bet);
  await creating.flush();

  const first = db.orm.em.fork();
  const second = db.orm.em.fork();
  const [mine, theirs] = await Promise.all([first.findOneOrFail(BetEntity, bet.id), second.findOneOrFail(BetEntity, bet.id)]);
  mine.status = 'crediting';
  mine.history = [...mine.history, { state: 'crediting', at: new Date().toISOString() }];
  await first.flush();
  t.is(mine.version, 2, 'MikroORM bumped the version with the update');

  theirs.status = 'rolling_back';
  await t.throwsAsync(second.flush(), { instanceOf: OptimisticLockError });
  const { rows } = await db.query<{ status: string; version: number }>('SELECT status, version FROM bets WHERE id = $1', [bet.id]);
  t.deepEqual(rows[0], { status: 'crediting', version: 2 }, 'the stale write changed nothing');
});
