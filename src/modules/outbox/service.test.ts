import test from 'ava';
import { randomUUID } from 'node:crypto';
import { openDb, type Db } from '../../shared/db.ts';
import { DomainError } from '../../shared/errors.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import { createOutboxService, readOutboxBacklog } from './service.ts';

// The outbox is a view of bets and the wallet transaction each waits on, found by its
// deterministic id: a credit_pending or credit_parked bet's credit, a parked bet's
// rollback. Rows are written here as the bet path leaves them, without a cluster.

const operatorId = randomUUID();
const otherOperatorId = randomUUID();
let database: TestDatabase;
let db: Db;
const ran: unknown[][] = [];
const outbox = createOutboxService({ enqueuer: { runNow: async (...args: unknown[]) => void ran.push(args) } as unknown as Enqueuer });
const bets: Record<string, string> = {};

async function bet(name: string, operator: string, status: string, minute: number, calls: { kind: string; attempts: number }[]) {
  const id = randomUUID();
  bets[name] = id;
  const roundId = randomUUID();
  await db.query(
    `INSERT INTO bets (id, operator_id, player_id, session_token, round_id, idempotency_key, request_hash, currency, amount, payout, game, params, status, snapshot, next_attempt_at, created_at)
     VALUES ($1, $2, 'outbox-player', $3, $4, $5, 'hash', 'EUR', 1000, 1980, 'dice', '{}', $6, '{}', '2031-06-01 13:00:00+00', $7)`,
    [id, operator, randomUUID(), roundId, randomUUID(), status, `2031-06-01 12:${String(minute).padStart(2, '0')}:00.000001+00`],
  );
  for (const call of calls) {
    await db.query(
      `INSERT INTO wallet_transactions (id, operator_id, bet_id, round_id, player_id, kind, currency, amount, attempts, last_error)
       VALUES ($1, $2, $3, $4, 'outbox-player', $5, 'EUR', $6, $7, 'wallet timeout')`,
      [`${id}:${call.kind}`, operator, id, roundId, call.kind, call.kind === 'credit' ? 1980 : 1000, call.attempts],
    );
  }
}

test.before(async () => {
  database = await createTestDatabase();
  db = await openDb(database.url, 2);
  for (const id of [operatorId, otherOperatorId]) await db.query(`INSERT INTO operators (id, name, api_key_hash) VALUES ($1, $2, $3)`, [id, `outbox-${id}`, randomUUID()]);
  await bet('creditPending', operatorId, 'credit_pending', 1, [{ kind: 'debit', attempts: 1 }, { kind: 'credit', attempts: 2 }]);
  await bet('creditParked', operatorId, 'credit_parked', 2, [{ kind: 'debit', attempts: 1 }, { kind: 'credit', attempts: 5 }]);
  await bet('parked', operatorId, 'parked', 3, [{ kind: 'debit', attempts: 3 }, { kind: 'rollback', attempts: 7 }]);
  await bet('won', operatorId, 'won', 4, [{ kind: 'debit', attempts: 1 }, { kind: 'credit', attempts: 1 }]);
  await bet('lost', operatorId, 'lost', 5, [{ kind: 'debit', attempts: 1 }]);
  await bet('debiting', operatorId, 'debiting', 6, [{ kind: 'debit', attempts: 1 }]);
  await bet('othersPending', otherOperatorId, 'credit_pending', 7, [{ kind: 'debit', attempts: 1 }, { kind: 'credit', attempts: 1 }]);
});

test.after.always(async () => {
  await db?.end();
  await database?.drop();
});

test('the list is the deferred credits newest first, page by page, with the counts of pending and parked bets', async (t) => {
  const first = await outbox.list(db.orm.em.fork(), operatorId, { limit: 1 });
  t.like(first, { pendingCount: 1, parkedCount: 2 });
  t.like(first.items, [{ betId: bets.creditParked, status: 'credit_parked', kind: 'credit', transactionId: `${bets.creditParked}:credit`, amount: 1980, currency: 'EUR', attempts: 5, lastError: 'wallet timeout', nextAttemptAt: '2031-06-01T13:00:00.000Z', createdAt: '2031-06-01T12:02:00.000Z' }]);
  t.truthy(first.nextCursor);
  const cursor = JSON.parse(Buffer.from(first.nextCursor!, 'base64url').toString('utf8')) as [string, string];
  t.is(cursor[0], '2031-06-01 12:02:00.000001+00', 'the cursor keeps the microseconds');
  const second = await outbox.list(db.orm.em.fork(), operatorId, { limit: 1, cursor });
  t.deepEqual(second.items.map((item) => [item.betId, item.attempts]), [[bets.creditPending, 2]]);
  t.is(second.nextCursor, null);
});

test('a retry runs the waiting call now, attempt after the last; a settled bet is 409, a bet with no such call 404', async (t) => {
  ran.length = 0;
  t.like(await outbox.retry(db.orm.em.fork(), operatorId, bets.creditPending!), { kind: 'credit', attempts: 2 });
  t.like(await outbox.retry(db.orm.em.fork(), operatorId, bets.parked!), { kind: 'rollback', transactionId: `${bets.parked}:rollback`, attempts: 7 });
  t.deepEqual(ran, [
    ['credit', { operatorId, betId: bets.creditPending, attempt: 3 }],
    ['rollback', { operatorId, betId: bets.parked, attempt: 8 }],
  ]);
  const refused = async (betId: string, operator = operatorId) => {
    const error = await t.throwsAsync(outbox.retry(db.orm.em.fork(), operator, betId), { instanceOf: DomainError });
    return [error?.status, error?.code];
  };
  t.deepEqual(await refused(bets.won!), [409, 'NOT_RETRYABLE']);
  t.deepEqual(await refused(bets.lost!), [404, 'NOT_FOUND'], 'a lost bet has no credit');
  t.deepEqual(await refused(bets.debiting!), [404, 'NOT_FOUND'], 'a debiting bet waits on its debit, which is not an outbox item');
  t.deepEqual(await refused(bets.othersPending!), [404, 'NOT_FOUND'], "another operator's bet");
  t.deepEqual(await refused(randomUUID()), [404, 'NOT_FOUND']);
  t.is(ran.length, 2, 'nothing else ran');
});

test('the metrics backlog counts every operator', async (t) => {
  t.deepEqual(await readOutboxBacklog(db.orm.em.fork()), { creditPending: 2, parked: 2 });
});
