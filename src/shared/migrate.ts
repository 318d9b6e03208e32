import pg from 'pg';
import { openDb } from './db.ts';
import { ensureAppRole, grantAppRole, type AppRole } from './app-role.ts';

// An arbitrary constant that names "RGS schema migration" among advisory locks.
const MIGRATION_LOCK_KEY = 7_346_201;

/**
 * Creates the database named in the URL if it does not exist (safe to race). The one
 * connection of our own outside MikroORM's pool: MikroORM cannot connect to a database
 * that does not exist yet, and this one is to `postgres`, for a moment.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((error: { code?: string }) => {
        // 42P04 duplicate_database / 23505: another process created it first.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await admin.end();
  }
}

/**
 * Creates the application role if it is missing, applies pending migrations under a
 * Postgres advisory lock (nodes that start at the same moment run them once, one after the
 * other), then grants the application role what the nodes need (src/shared/app-role.ts).
 * Runs as the owner (`databaseUrl`) and closes every connection it opened. Returns the
 * names of the migrations applied now.
 */
export async function migrate(databaseUrl: string, appRole: AppRole): Promise<string[]> {
  await ensureAppRole(databaseUrl, appRole);
  // Short-lived, as the owner: the lock holds one client of its pool, the migrator takes another.
  const db = await openDb(databaseUrl, 4);
  try {
    const lock = await db.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const applied = (await db.orm.getMigrator().up()).map((migration) => migration.name);
      await grantAppRole(lock, appRole);
      return applied;
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      lock.release();
    }
  } finally {
    await db.end();
  }
}
