import test from 'ava';
import { openDb } from '../src/shared/db.ts';
import { migrate } from '../src/shared/migrate.ts';
import { APP_ROLE, createEmptyDatabase, createTestDatabase } from './support/database.ts';

test('four nodes migrating one empty database at once apply each migration exactly once', async (t) => {
  const database = await createEmptyDatabase();
  t.teardown(() => database.drop());
  const results = await Promise.all(Array.from({ length: 4 }, () => migrate(database.url, APP_ROLE)));
  t.is(results.flat().length, 13, 'one caller applied the migrations; the others found them applied');
  const db = await openDb(database.url, 1);
  t.teardown(() => db.end());
  const { rows } = await db.query('SELECT name FROM mikro_orm_migrations');
  t.deepEqual(rows.map((row) => row.name), ['0001-initial-schema', '0002-drop-unused-events-index', '0003-drop-unused-wallet-transactions-index', '0004-rounds-seed-pair-without-foreign-key', '0005-event-relay-cursor', '0006-audit-time-ordered-indexes', '0007-secrets-sealed-at-rest', '0008-bet-transitions', '0010-operators-version', '0011-operator-games', '0012-time-partitioned-tables', '0013-operator-led-keys', '0014-relay-pass-function']);
  const { rows: eventIndexes } = await db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname");
  t.deepEqual(
    eventIndexes.map((row) => row.indexname),
    ['events_pkey', 'events_relay_order'],
    'events keeps the indexes something reads, and no other (every event row pays for each)',
  );
  const { rows: walletIndexes } = await db.query<{ indexname: string }>(
    "SELECT indexname FROM pg_indexes WHERE tablename = 'wallet_transactions' ORDER BY indexname",
  );
  t.deepEqual(
    walletIndexes.map((row) => row.indexname),
    ['wallet_transactions_pkey', 'wallet_tx_operator_created', 'wallet_tx_operator_player_created', 'wallet_tx_operator_round'],
    'wallet transactions keep the indexes something reads, and no other',
  );
  const { rows: auditIndexes } = await db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_log' ORDER BY indexname");
  t.deepEqual(
    auditIndexes.map((row) => row.indexname),
    ['audit_log_pkey', 'audit_operator_action_created', 'audit_operator_created', 'audit_operator_player_created'],
    'the audit trail is listed newest first by time, so its indexes are in that order (and from/to are index ranges)',
  );
  const { rows: roundKeys } = await db.query<{ conname: string }>(
    "SELECT conname FROM pg_constraint WHERE conrelid = 'rounds'::regclass AND contype = 'f'",
  );
  t.deepEqual(roundKeys, [], 'a round insert runs no foreign-key trigger');
  await t.throwsAsync(db.query('DELETE FROM seed_pairs'), { message: /kept for verification/ });
  await t.throwsAsync(db.query('TRUNCATE seed_pairs CASCADE'), { message: /kept for verification/ });
});

test('the MikroORM entities describe the migrated schema: no table or column is missing from either', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const db = await openDb(database.url, 1);
  t.teardown(() => db.end());
  const { orm } = db;
  const { rows } = await db.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'mikro_orm_migrations'
        -- A partition's columns are its partitioned table's.
        AND NOT (SELECT relispartition FROM pg_class WHERE oid = format('public.%I', c.table_name)::regclass)`,
  );
  const inDatabase = new Set(rows.map((row) => `${row.table_name}.${row.column_name}`));
  const inEntities = new Set(
    Object.values(orm.getMetadata().getAll()).flatMap((meta) =>
      // A one-to-many collection (Bet.transitions) has no column of its own, and a formula
      // (a page position such as AuditEntry.positionAt) is computed when read.
      Object.values(meta.properties)
        .filter((prop) => prop.formula === undefined)
        .flatMap((prop) => (prop.fieldNames ?? []).map((field) => `${meta.tableName}.${field}`)),
    ),
  );
  t.deepEqual([...inEntities].filter((column) => !inDatabase.has(column)).sort(), [], 'entity columns missing from the database');
  t.deepEqual([...inDatabase].filter((column) => !inEntities.has(column)).sort(), [], 'database columns no entity describes');
});
