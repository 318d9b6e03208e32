import type pg from 'pg';
import { openDb } from '../src/shared/db.ts';
import { withAdmin } from './cluster.ts';

export interface DbStats {
  xactCommit: number;
  xactRollback: number;
  tupInserted: number;
  tupUpdated: number;
}

/** The product database's counters (pg_stat_database), for commits and rows per bet. */
export async function dbStats(name: string): Promise<DbStats> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ xact_commit: string; xact_rollback: string; tup_inserted: string; tup_updated: string }>(
      'SELECT xact_commit, xact_rollback, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = $1',
      [name],
    );
    const row = rows[0];
    if (!row) throw new Error(`no pg_stat_database row for ${name}`);
    return { xactCommit: Number(row.xact_commit), xactRollback: Number(row.xact_rollback), tupInserted: Number(row.tup_inserted), tupUpdated: Number(row.tup_updated) };
  });
}

/** The Postgres processes that work for the benchmark: its database's backends and the shared writers. */
export async function postgresPids(databaseName: string | undefined): Promise<number[]> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE ($1::text IS NULL OR datname = $1) OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
      [databaseName ?? null],
    );
    return rows.map((row) => row.pid);
  });
}

/** The bench's own connection to the product database (BENCH_DATABASE_URL or its own cluster's). */
export interface ProductDb {
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Our own statements on the product database, subtracted from its commit count. */
  ownCommits(): number;
  end(): Promise<void>;
}

export async function openProductDb(databaseUrl: string | undefined): Promise<ProductDb | undefined> {
  if (!databaseUrl) return undefined;
  // One connection of MikroORM's pool, as every process of the product uses.
  const db = await openDb(databaseUrl, 1);
  let ownCommits = 0;
  return {
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      ownCommits++;
      return db.query<R>(sql, params);
    },
    ownCommits: () => ownCommits,
    end: () => db.end(),
  };
}
