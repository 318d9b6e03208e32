import test from 'ava';
import { randomUUID } from 'node:crypto';
import { openDb, type Db } from '../../shared/db.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { auditQuery } from './schemas.ts';
import { listAudit } from './service.ts';

// GET /audit pages by created_at as Postgres keeps it, to the microsecond, then by id: the
// entries here share one millisecond (a Date-based cursor would skip or repeat them) and
// some share one instant (only the id orders them).

const operatorId = randomUUID();
let database: TestDatabase;
let db: Db;

test.before(async () => {
  database = await createTestDatabase();
  db = await openDb(database.url, 2);
  await db.query(`INSERT INTO operators (id, name, api_key_hash) VALUES ($1, 'audit-store', $2)`, [operatorId, randomUUID()]);
  const instants = ['10:00:00.122999', '10:00:00.123456', '10:00:00.123457', '10:00:00.123457', '10:00:00.123457', '10:00:00.123999', '10:00:00.124000'];
  for (const instant of instants.sort(() => Math.random() - 0.5)) {
    await db.query(`INSERT INTO audit_log (operator_id, actor, action, created_at) VALUES ($1, 'system', 'audit.test', $2)`, [operatorId, `2031-05-01 ${instant}+00`]);
  }
});

test.after.always(async () => {
  await db?.end();
  await database?.drop();
});

/** Every entry through pages of `limit`, each page read on a fresh unit of work, as a request has. */
async function walk(filters: Record<string, string>, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query = auditQuery.parse({ ...filters, limit: String(limit), ...(cursor !== null && { cursor }) });
    const page = await listAudit(db.orm.em.fork(), operatorId, query);
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

async function expected(where = ''): Promise<string[]> {
  const { rows } = await db.query<{ id: number }>(`SELECT id FROM audit_log WHERE operator_id = $1 ${where} ORDER BY created_at DESC, id DESC`, [operatorId]);
  return rows.map((row) => String(row.id));
}

test('entries of one millisecond page newest first to the microsecond, ties by id, each once, at any page size', async (t) => {
  const all = await expected();
  t.is(all.length, 7);
  for (const limit of [1, 2, 3, 7]) t.deepEqual(await walk({}, limit), all, `limit ${limit}`);
});

test('from and to bound by the microsecond: from inclusive, to exclusive', async (t) => {
  const ties = await expected(`AND created_at = '2031-05-01 10:00:00.123457+00'`);
  t.is(ties.length, 3);
  t.deepEqual(await walk({ from: '2031-05-01T10:00:00.123457Z', to: '2031-05-01T10:00:00.123999Z' }, 1), ties);
  t.deepEqual(await walk({ from: '2031-05-01T12:00:00.123457+02:00', to: '2031-05-01T10:00:00.123458Z' }, 2), ties, 'an offset is the same instant');
});
