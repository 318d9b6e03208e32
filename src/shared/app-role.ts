import { z } from 'zod';
import type pg from 'pg';
import { envSchema, type Env } from '../config/env.ts';
import { scramVerifier } from './scram-verifier.ts';
import { openDb } from './db.ts';

// SPEC §11: two database roles. Migrations run as the owner (DATABASE_URL); a node
// connects as the application role, which owns nothing and holds only the DML the code
// needs. So the database itself keeps the audit trail append-only: the application role
// cannot UPDATE, DELETE or TRUNCATE audit_log, and cannot disable its triggers
// (ALTER TABLE needs ownership) or skip them with session_replication_role (superuser
// only). The triggers of migration 0001 stay as the second guard, for the owner.

export interface AppRole {
  name: string;
  /** Set on the role when given (required in production, see src/config/env.ts). */
  password?: string | undefined;
}

/** Tables the application role may only append to and read. */
export const APPEND_ONLY_TABLES = ['audit_log'] as const;

/** Tables only the owner touches: the migrator's own bookkeeping. */
export const OWNER_ONLY_TABLES = ['mikro_orm_migrations'] as const;

// An arbitrary constant that names "RGS application role" among advisory locks. Taken in
// the `postgres` database: advisory locks are per database and roles are cluster-wide, so
// migrations of two databases at once (parallel test files) meet on this one lock.
const APP_ROLE_LOCK_KEY = 7_346_203;

export function appRoleOf(env: Pick<Env, 'APP_DB_ROLE' | 'APP_DB_PASSWORD'>): AppRole {
  return { name: env.APP_DB_ROLE, password: env.APP_DB_PASSWORD };
}

/**
 * The application role of a node started with `source` as its environment: for the
 * launchers (tests, chaos, bench) that migrate as the owner before they start nodes.
 */
export function appRoleOfEnvironment(source: NodeJS.ProcessEnv): AppRole {
  // Only these two fields: the whole schema's production checks are the node's business.
  const { APP_DB_ROLE, APP_DB_PASSWORD } = envSchema.shape;
  return appRoleOf(z.object({ APP_DB_ROLE, APP_DB_PASSWORD }).parse(source));
}

/**
 * The URL a node connects with: DATABASE_URL's host, port, database and options, with the
 * application role as user. The owner's password never goes with it: the role's own, or
 * none (trust authentication on a development machine).
 */
export function appDatabaseUrl(env: Pick<Env, 'DATABASE_URL' | 'APP_DB_ROLE' | 'APP_DB_PASSWORD'>): string {
  const role = appRoleOf(env);
  const url = new URL(env.DATABASE_URL);
  // The setters leave "%" alone; the driver decodes what it reads.
  url.username = encodeURIComponent(role.name);
  url.password = role.password ? encodeURIComponent(role.password) : '';
  url.searchParams.delete('user');
  url.searchParams.delete('password');
  return url.toString();
}

/**
 * Creates the application role if it is missing and makes sure it can log in and holds
 * no attribute that would bypass its grants. Runs as the owner, in the `postgres`
 * database, under a cluster-wide advisory lock: two migrations at once would otherwise
 * race on CREATE ROLE or fail an ALTER ROLE with "tuple concurrently updated".
 */
export async function ensureAppRole(ownerUrl: string, role: AppRole): Promise<void> {
  const url = new URL(ownerUrl);
  url.pathname = '/postgres';
  // A short-lived MikroORM on `postgres`, as the owner.
  const db = await openDb(url.toString(), 1);
  try {
    const client = await db.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [APP_ROLE_LOCK_KEY]);
      const { rows: owner } = await client.query<{ name: string }>('SELECT current_user AS name');
      // ALTER ROLE below would strip the owner of its rights, and the nodes would own the schema.
      if (owner[0]?.name === role.name) {
        throw new Error(`DATABASE_URL connects as ${role.name}, the application role (APP_DB_ROLE): migrations need the owner, another role`);
      }
      const name = client.escapeIdentifier(role.name);
      const { rows } = await client.query<{ safe: boolean }>(
        `SELECT rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls) AS safe
           FROM pg_roles WHERE rolname = $1`,
        [role.name],
      );
      if (rows.length === 0) {
        await client.query(`CREATE ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`).catch((error: { code?: string }) => {
          // 42710 duplicate_object / 23505: created meanwhile by something not taking the lock.
          if (error.code !== '42710' && error.code !== '23505') throw error;
        });
      } else if (!rows[0]!.safe) {
        // Only when needed: changing SUPERUSER or BYPASSRLS needs a superuser, and an owner
        // that merely has CREATEROLE must still be able to migrate a correct setup.
        await client.query(`ALTER ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`);
      }
      // Hashed here when possible, so the password itself never reaches the server's log.
      if (role.password) await client.query(`ALTER ROLE ${name} PASSWORD ${client.escapeLiteral(scramVerifier(role.password) ?? role.password)}`);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [APP_ROLE_LOCK_KEY]).catch(() => undefined);
      client.release();
    }
  } finally {
    await db.end();
  }
}

/**
 * Grants the application role what the code needs in the database `client` is connected
 * to, and nothing else, after every migrate run: a table a migration adds gets its grants
 * in the same run, and a grant given by hand is taken back. One transaction, so a running
 * node never sees a table without its grants.
 *
 * Tables: SELECT, INSERT, UPDATE, DELETE (never TRUNCATE, REFERENCES or TRIGGER); the
 * append-only ones INSERT and SELECT; the owner-only ones and partitions nothing. Views: SELECT only, as
 * a write through a view is checked against the view's owner, not the caller. Sequences:
 * nothing, as identity columns need no grant to fill (a `serial` column would).
 */
export async function grantAppRole(client: pg.ClientBase, role: AppRole): Promise<void> {
  const name = client.escapeIdentifier(role.name);
  const list = (relations: string[]) => relations.map((relation) => client.escapeIdentifier(relation)).join(', ');
  await client.query('BEGIN');
  try {
    const { rows: relations } = await client.query<{ name: string; kind: string; owned: boolean; partition: boolean }>(
      `SELECT c.relname AS name, c.relkind::text AS kind, pg_has_role($1, c.relowner, 'MEMBER') AS owned, c.relispartition AS partition
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        ORDER BY c.relname`,
      [role.name],
    );
    // A role that is (or is a member of) a relation's owner has the owner's rights: no grant limits it.
    const owned = relations.filter((relation) => relation.owned).map((relation) => relation.name);
    if (owned.length > 0) throw new Error(`APP_DB_ROLE ${role.name} owns (or is a member of the owner of) ${owned.join(', ')}; it must own nothing`);
    // Partitions get nothing: a statement on a partitioned table checks its grants alone, and
    // a grant on a partition would let the nodes rewrite audit_log's rows through it.
    const tables = relations.filter((relation) => ['r', 'p'].includes(relation.kind) && !relation.partition).map((relation) => relation.name);
    const appendOnly = tables.filter((table) => (APPEND_ONLY_TABLES as readonly string[]).includes(table));
    const writable = tables.filter((table) => !appendOnly.includes(table) && !(OWNER_ONLY_TABLES as readonly string[]).includes(table));
    const views = relations.filter((relation) => ['v', 'm'].includes(relation.kind)).map((relation) => relation.name);
    const { rows: database } = await client.query<{ name: string }>('SELECT current_database() AS name');

    await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(database[0]!.name)} TO ${name}`);
    // Before PostgreSQL 15 every role could create tables in public; never the nodes.
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await client.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${name}`);
    await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${name}`);
    if (writable.length > 0) await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${list(writable)} TO ${name}`);
    if (appendOnly.length > 0) await client.query(`GRANT SELECT, INSERT ON ${list(appendOnly)} TO ${name}`);
    if (views.length > 0) await client.query(`GRANT SELECT ON ${list(views)} TO ${name}`);
    await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${name}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
