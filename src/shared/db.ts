import pg from 'pg';
import { countStatements } from './db-statements.ts';

// bigint (int8) columns come back as strings by default; money and nonces are within
// Number.MAX_SAFE_INTEGER by validation (SPEC §3), so parse them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'>;

/**
 * The pool for hand-written SQL. The bet path and every multi-row transaction use it
 * with parameterised statements (one round trip where possible); MikroORM owns the
 * entity metadata and migrations (see src/shared/orm.ts and docs/architecture.md).
 */
export function createDb(databaseUrl: string, max = 10): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'rgs' });
  // An idle client's error (e.g. the server restarted) must not crash the process.
  pool.on('error', () => undefined);
  countStatements(pool);
  return pool;
}

/** Runs `work` in one transaction on one pooled connection; rolls back on any error. */
export async function withTransaction<T>(db: Db, work: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Whether Postgres answers a trivial statement (the readiness probe, `GET /ready`). */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
