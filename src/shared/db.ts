import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { initOrm } from './orm.ts';

// bigint (int8) columns come back as strings by default; money and nonces are within
// Number.MAX_SAFE_INTEGER by validation (SPEC §3), so parse them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Queryable = Pick<pg.Pool, 'query'>;
export type DbClient = pg.PoolClient;

/**
 * Hand-written SQL on MikroORM's pool. The bet path and every multi-row transaction use
 * it with parameterised statements (one round trip where possible, named prepared
 * statements on the hot path: src/shared/statement-batcher.ts); entity code uses
 * `orm.em.fork()` (see src/shared/orm.ts and docs/architecture.md).
 */
export interface Db extends Queryable {
  /** The process's MikroORM: the pool below is its driver's. */
  readonly orm: MikroORM;
  /** A client of the pool for a transaction; `release()` it (with an error: it is closed). */
  connect(): Promise<DbClient>;
  /** Closes the ORM and its pool. */
  end(): Promise<void>;
}

/** What knex's client offers for borrowing raw driver connections from its pool. */
interface ConnectionPool {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(connection: pg.Client): Promise<void>;
}

type QueryArgs = Parameters<pg.ClientBase['query']>;

/**
 * The arguments of a query, with the type parsers this code was written for. MikroORM
 * gives its connections parsers that keep dates and timestamps as strings (for its own
 * hydration); hand-written SQL reads them as Date, as pg does by default. pg takes
 * `types` per query (QueryConfig), ahead of the connection's.
 */
function withAppTypes(args: unknown[]): QueryArgs {
  const [first, ...rest] = args;
  if (typeof first === 'string') return [{ text: first, types: pg.types }, ...rest] as unknown as QueryArgs;
  if (typeof first === 'object' && first !== null && !('submit' in first)) return [{ ...first, types: pg.types }, ...rest] as unknown as QueryArgs;
  return args as QueryArgs;
}

/**
 * A connection another owner holds (an EntityManager transaction's, src/shared/em-transaction.ts)
 * as a client for hand-written SQL: the same type parsers as the pool's clients, and a
 * `release()` that does nothing, because the transaction gives the connection back.
 */
export function borrowedClient(connection: pg.Client): DbClient {
  const view = Object.create(connection) as DbClient;
  view.query = ((...args: unknown[]) => connection.query(...withAppTypes(args))) as DbClient['query'];
  view.release = () => undefined;
  return view;
}

/** The Db façade on `orm`'s pool: one pool per process, and it is MikroORM's. */
export function createDb(orm: MikroORM): Db {
  // Not the global EntityManager's unit of work: only its driver's connection.
  const pool = orm.em.getConnection().getKnex().client as ConnectionPool;
  // One view per connection, made once: the connection as this code expects it.
  const views = new WeakMap<pg.Client, DbClient>();

  function viewOf(connection: pg.Client): DbClient {
    let view = views.get(connection);
    if (!view) {
      // Everything else (escapeIdentifier, escapeLiteral, …) is the connection's own.
      view = Object.create(connection) as DbClient;
      view.query = ((...args: unknown[]) => connection.query(...withAppTypes(args))) as DbClient['query'];
      view.release = (error?: Error | boolean) => {
        // As pg.Pool does: a client released with an error is closed, not reused (knex's
        // pool checks this mark before it hands a connection out again).
        if (error) (connection as pg.Client & { __knex__disposed?: unknown }).__knex__disposed = error;
        void pool.releaseConnection(connection);
      };
      views.set(connection, view);
    }
    return view;
  }

  const query = async (...args: unknown[]) => {
    const connection = await pool.acquireConnection();
    try {
      return await connection.query(...withAppTypes(args));
    } finally {
      void pool.releaseConnection(connection);
    }
  };

  return {
    orm,
    query: query as Db['query'],
    async connect() {
      return viewOf(await pool.acquireConnection());
    },
    end: () => orm.close(),
  };
}

/** Inits MikroORM for `databaseUrl` and the Db façade on its pool (scripts, tools, tests). */
export async function openDb(databaseUrl: string, poolSize = 10): Promise<Db> {
  return createDb(await initOrm(databaseUrl, { poolSize }));
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
