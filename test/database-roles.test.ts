import test from 'ava';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { appDatabaseUrl, APPEND_ONLY_TABLES, OWNER_ONLY_TABLES } from '../src/shared/app-role.ts';
import { migrate } from '../src/shared/migrate.ts';
import { openDb, type DbClient, type Queryable } from '../src/shared/db.ts';
import { scramVerifier } from '../src/shared/scram-verifier.ts';
import { startCluster } from './support/cluster.ts';
import { ADMIN_URL, APP_ROLE, createEmptyDatabase, createTestDatabase } from './support/database.ts';
import { createOperator } from './support/operators.ts';
import { launch, placeBet } from './support/bets.ts';

// SPEC §11: nodes connect as an application role that owns nothing and holds only the DML
// the code needs; the database, not the code, keeps the audit trail append-only.

const appUrl = (databaseUrl: string) => appDatabaseUrl({ DATABASE_URL: databaseUrl, APP_DB_ROLE: APP_ROLE.name, APP_DB_PASSWORD: APP_ROLE.password });

/** One client of a MikroORM pool of its own on `url`, closed at the test's end. */
async function connect(t: { teardown(fn: () => Promise<void>): void }, url: string): Promise<DbClient> {
  const db = await openDb(url, 1);
  const client = await db.connect().catch(async (error: unknown) => {
    await db.end();
    throw error;
  });
  t.teardown(async () => {
    client.release();
    await db.end();
  });
  return client;
}

test('the node URL is DATABASE_URL with the application role as user, and never the owner password', (t) => {
  const owner = 'postgres://owner:owner-secret@db.internal:6543/rgs?connect_timeout=5&application_name=x';
  const derived = new URL(appDatabaseUrl({ DATABASE_URL: owner, APP_DB_ROLE: 'rgs_app', APP_DB_PASSWORD: undefined }));
  t.is(derived.username, 'rgs_app');
  t.is(derived.password, '', 'no password: trust authentication in development');
  t.is(derived.host, 'db.internal:6543');
  t.is(derived.pathname, '/rgs');
  t.is(derived.searchParams.get('connect_timeout'), '5');
  // The driver reads back exactly the password given, whatever characters it has.
  const password = 'p@ss:w/rd%41 #?&';
  const client = new pg.Client({ connectionString: appDatabaseUrl({ DATABASE_URL: owner, APP_DB_ROLE: 'rgs_app', APP_DB_PASSWORD: password }) });
  t.is(client.user, 'rgs_app');
  t.is(client.password, password);
  t.is(client.host, 'db.internal');
  t.is(client.database, 'rgs');
});

test('as the application role, audit_log takes INSERT and SELECT and refuses UPDATE, DELETE, TRUNCATE, DROP, disabling its triggers and session_replication_role', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const owner = await connect(t, database.url);
  const app = await connect(t, appUrl(database.url));
  t.is((await app.query('SELECT current_user AS name')).rows[0].name, APP_ROLE.name);

  const inserted = await app.query("INSERT INTO audit_log (actor, action, data) VALUES ('system', 'test.appended', '{}') RETURNING id");
  t.is(inserted.rowCount, 1);
  t.is((await app.query('SELECT count(*)::int AS n FROM audit_log WHERE id = $1', [inserted.rows[0].id])).rows[0].n, 1);

  // 42501 insufficient_privilege, from the privilege system ("permission denied", "must
  // be owner"), not from the append-only trigger (whose message says "append-only").
  for (const sql of [
    "UPDATE audit_log SET action = 'tampered'",
    'DELETE FROM audit_log',
    'TRUNCATE audit_log',
    'DROP TABLE audit_log',
    'ALTER TABLE audit_log DISABLE TRIGGER ALL',
    'ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete',
    'DROP TRIGGER audit_log_no_update_delete ON audit_log',
    'CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
    'SET session_replication_role = replica',
    `SET ROLE ${owner.escapeIdentifier((await owner.query('SELECT current_user AS name')).rows[0].name)}`,
  ]) {
    await t.throwsAsync(app.query(sql), { code: '42501', message: /permission denied|must be owner/ }, sql);
  }
  // Nor through its partitions (migration 0012): the role holds no grant on them.
  const partition = (await owner.query('SELECT tableoid::regclass::text AS name FROM audit_log')).rows[0].name as string;
  t.regex(partition, /^audit_log_p\d{6}$/, 'the row sits in its month');
  for (const sql of [`UPDATE ${partition} SET action = 'tampered'`, `DELETE FROM ${partition}`, `TRUNCATE ${partition}`, 'DELETE FROM audit_log_default']) {
    await t.throwsAsync(app.query(sql), { code: '42501', message: /permission denied|must be owner/ }, sql);
  }
  await t.throwsAsync(owner.query(`TRUNCATE ${partition}`), { message: /append-only/ }, 'a partition refuses TRUNCATE even to the owner');
  t.is((await owner.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n, 1, 'the row is still there, unchanged');
  t.is((await owner.query('SELECT action FROM audit_log')).rows[0].action, 'test.appended');

  // The triggers of migration 0001 stay: the second guard, even for the owner.
  await t.throwsAsync(owner.query("UPDATE audit_log SET action = 'tampered'"), { message: /append-only/ });
  await t.throwsAsync(owner.query('TRUNCATE audit_log'), { message: /append-only/ });
});

/** What src/shared/app-role.ts grants, restated: a change there must change this too. */
function expectedPrivileges(relation: { name: string; kind: string; partition: boolean }): string[] {
  // Reached through its partitioned table only, whose grants are the ones checked.
  if (relation.partition) return [];
  if ((OWNER_ONLY_TABLES as readonly string[]).includes(relation.name)) return [];
  // A write through a view is checked against the view's owner: views are read-only.
  if (relation.kind === 'v' || relation.kind === 'm') return ['SELECT'];
  if ((APPEND_ONLY_TABLES as readonly string[]).includes(relation.name)) return ['SELECT', 'INSERT'];
  return ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
}

test('the application role owns nothing and holds only DML: no TRUNCATE, REFERENCES or TRIGGER, no writes through views, no DDL, no bypassing attributes', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const owner = await connect(t, database.url);
  const { rows: attributes } = await owner.query(
    'SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1',
    [APP_ROLE.name],
  );
  t.deepEqual(attributes, [{ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true }]);

  const { rows } = await owner.query<{ name: string; kind: string; privileges: string[]; owned: boolean; partition: boolean }>(
    `SELECT c.relname AS name, c.relkind::text AS kind, pg_has_role($1, c.relowner, 'MEMBER') AS owned, c.relispartition AS partition,
            array(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
                   WHERE has_table_privilege($1, c.oid, p)) AS privileges
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')`,
    [APP_ROLE.name],
  );
  t.true(rows.length > 10);
  for (const relation of rows) {
    t.false(relation.owned, `${relation.name}: not owned`);
    t.deepEqual(relation.privileges, expectedPrivileges(relation), relation.name);
  }
  t.deepEqual(rows.find((relation) => relation.name === 'audit_log')?.privileges, ['SELECT', 'INSERT']);
  t.true(rows.some((relation) => relation.partition && relation.name.startsWith('audit_log_p')), 'audit_log has partitions, and the role holds nothing on them');

  const app = await connect(t, appUrl(database.url));
  for (const sql of ['TRUNCATE bets', 'CREATE TABLE scratch (id int)', 'ALTER TABLE bets ADD COLUMN extra int', 'DROP TABLE sessions', 'SELECT * FROM mikro_orm_migrations']) {
    await t.throwsAsync(app.query(sql), { code: '42501' }, sql);
  }
});

test('a node connects to Postgres only as the application role, even when it migrates at start', async (t) => {
  // Given the owner's DATABASE_URL and nothing more, as every launcher starts a node.
  const cluster = await startCluster({ nodeEnv: { MIGRATE_ON_START: 'true' } });
  t.teardown(() => cluster.stop());
  const node = cluster.nodes[0]!;
  const operator = await createOperator(node);
  const client = operator.client();
  const session = await launch(client, 'role-player');
  const placed = await placeBet(client, session, 100, { target: 50, direction: 'under' });
  t.is(placed.status, 201, JSON.stringify(placed.body));

  const owner = await connect(t, cluster.database.url);
  const { rows } = await owner.query<{ usename: string; application_name: string }>(
    'SELECT usename, application_name FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [cluster.database.name],
  );
  t.true(rows.some((row) => row.application_name === 'rgs'), 'the node has its pool open');
  t.deepEqual([...new Set(rows.map((row) => row.usename))], [APP_ROLE.name], 'no connection as the owner stays open, the migration one included');
});

test('two fresh databases migrating at once both create and grant the same new role', async (t) => {
  const role = { name: `rgs_app_test_${randomBytes(4).toString('hex')}`, password: `pw-${randomBytes(8).toString('hex')}` };
  const databases = await Promise.all([createEmptyDatabase(), createEmptyDatabase()]);
  const admin = await connect(t, ADMIN_URL);
  t.teardown(async () => {
    await Promise.all(databases.map((database) => database.drop()));
    await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(role.name)}`);
  });

  const applied = await Promise.all(databases.map((database) => migrate(database.url, role)));
  t.true(applied.every((names) => names.length > 0));
  const { rows } = await admin.query("SELECT rolsuper, rolcanlogin, rolpassword LIKE 'SCRAM-SHA-256$%' AS has_password FROM pg_authid WHERE rolname = $1", [
    role.name,
  ]);
  t.deepEqual(rows, [{ rolsuper: false, rolcanlogin: true, has_password: true }], 'created once, with the password given');
  t.true(await storedVerifierMatches(admin, role.name, role.password), 'the stored verifier is that of the password');
  for (const database of databases) {
    const app = await connect(t, appDatabaseUrl({ DATABASE_URL: database.url, APP_DB_ROLE: role.name, APP_DB_PASSWORD: role.password }));
    await app.query("INSERT INTO audit_log (actor, action) VALUES ('system', 'test.appended')");
    await t.throwsAsync(app.query('DELETE FROM audit_log'), { code: '42501', message: /permission denied/ });
  }
});

/** Whether the role's stored SCRAM verifier is the one of `password` (recomputed with its salt). */
async function storedVerifierMatches(admin: Queryable, role: string, password: string): Promise<boolean> {
  const { rows } = await admin.query<{ stored: string }>('SELECT rolpassword AS stored FROM pg_authid WHERE rolname = $1', [role]);
  const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(rows[0]?.stored ?? '') ?? [];
  return scramVerifier(password, Buffer.from(salt ?? '', 'base64'), Number(iterations)) === rows[0]?.stored;
}

test('the application role password reaches Postgres only as the SCRAM verifier Postgres itself would compute', async (t) => {
  const admin = await connect(t, ADMIN_URL);
  const role = `rgs_scram_test_${randomBytes(4).toString('hex')}`;
  t.teardown(async () => {
    await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(role)}`);
  });
  const password = 'correct horse battery staple: 1 $ \' "quoted"';
  // Postgres hashes a clear-text password itself (password_encryption = scram-sha-256).
  await admin.query(`CREATE ROLE ${admin.escapeIdentifier(role)} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
  t.true(await storedVerifierMatches(admin, role, password));
  t.false(await storedVerifierMatches(admin, role, `${password}x`));
  t.is(scramVerifier('pässword'), undefined, 'non-ASCII needs SASLprep: left to the server');
});

test('APP_DB_ROLE naming the owner role is refused before anything changes', async (t) => {
  const database = await createEmptyDatabase();
  t.teardown(() => database.drop());
  const owner = await connect(t, database.url);
  const { rows } = await owner.query<{ name: string }>('SELECT current_user AS name');
  await t.throwsAsync(migrate(database.url, { name: rows[0]!.name }), { message: /DATABASE_URL connects as .*, the application role/ });
  t.is((await owner.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0].rolsuper, true, 'the owner keeps its rights');
  t.is((await owner.query("SELECT to_regclass('audit_log') AS found")).rows[0].found, null, 'nothing migrated');
});
