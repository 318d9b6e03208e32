import { randomUUID } from 'node:crypto';
import test from 'ava';
import { openDb, type Db } from './db.ts';
import { inTransaction, sqlOf } from './em-transaction.ts';
import { OperatorEntity } from '../modules/operators/entity.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';

// sqlOf(tx): a store still written in SQL joins the transaction of an entity write.

let database: TestDatabase;
let db: Db;

test.before(async () => {
  database = await createTestDatabase();
  db = await openDb(database.url, 4);
});

test.after.always(async () => {
  await db.end();
  await database.drop();
});

async function stored(id: string): Promise<{ operators: number; audit: number }> {
  const { rows } = await db.query<{ operators: number; audit: number }>(
    'SELECT (SELECT count(*)::int FROM operators WHERE id = $1) AS operators, (SELECT count(*)::int FROM audit_log WHERE operator_id = $1) AS audit',
    [id],
  );
  return rows[0]!;
}

async function writeBoth(id: string, fail: boolean): Promise<Date> {
  return inTransaction(db.orm.em.fork(), async (tx) => {
    await tx.insert(OperatorEntity, { id, name: `em-tx-${id}`, apiKeyHash: id });
    const client = await sqlOf(tx);
    const { rows } = await client.query<{ created_at: Date }>(
      "INSERT INTO audit_log (operator_id, actor, action) VALUES ($1, 'system', 'test.written') RETURNING created_at",
      [id],
    );
    if (fail) throw new Error('refused after both writes');
    return rows[0]!.created_at;
  });
}

test('a statement on sqlOf(tx) commits with the entity writes of the transaction', async (t) => {
  const id = randomUUID();
  const createdAt = await writeBoth(id, false);
  t.true(createdAt instanceof Date, 'hand-written SQL reads timestamps as Date, as on the pool');
  t.deepEqual(await stored(id), { operators: 1, audit: 1 });
});

test('a statement on sqlOf(tx) rolls back with the entity writes when the work fails', async (t) => {
  const id = randomUUID();
  await t.throwsAsync(writeBoth(id, true), { message: 'refused after both writes' });
  t.deepEqual(await stored(id), { operators: 0, audit: 0 });
});

test('sqlOf refuses an EntityManager that is not in a transaction', async (t) => {
  await t.throwsAsync(sqlOf(db.orm.em.fork()), { message: /not in a transaction/ });
});
