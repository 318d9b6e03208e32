import test from 'ava';
import type { Redis } from 'ioredis';
import { openDb, type Db, type DbClient } from '../../shared/db.ts';
import { DomainError } from '../../shared/errors.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { testKeyring } from '../../../test/support/secrets.ts';
import { operatorKeyLookupsTotal } from '../../shared/metrics.ts';
import { createOperatorsService, type OperatorsService } from './service.ts';

// PATCH /admin/operators/:id under the operator's version (migration 0010), against a
// database cloned from the template: another admin's change is held open in a
// transaction of the test's own, so the PATCH reads the row before it and writes after it.

let database: TestDatabase;
let db: Db;
let operators: OperatorsService;

test.before(async () => {
  database = await createTestDatabase();
  db = await openDb(database.url, 6);
  const subscriber = { subscribe: async () => undefined, on: () => subscriber, off: () => subscriber } as unknown as Redis;
  operators = createOperatorsService({
    orm: db.orm,
    redis: { publish: async () => 0 } as unknown as Redis,
    subscriber,
    redisPrefix: 'test:',
    defaultWallet: { url: 'http://127.0.0.1:9', secret: 'unused-in-this-test' },
    keyring: testKeyring,
    targets: { allowPrivateTargets: true, requireHttps: false },
  });
});

test.after.always(async () => {
  await operators.close();
  await db.end();
  await database.drop();
});

const WALLET = { walletUrl: 'http://127.0.0.1:4000', walletSecret: 'an-operator-wallet-secret' };

interface Row {
  name: string;
  wallet_url: string | null;
  wallet_secret: string | null;
  rate_limit_per_second: number | null;
  version: number;
}

async function rowOf(id: string): Promise<Row> {
  const { rows } = await db.query<Row>('SELECT name, wallet_url, wallet_secret, rate_limit_per_second, version FROM operators WHERE id = $1', [id]);
  return rows[0]!;
}

async function updatesAudited(id: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE operator_id = $1 AND action = 'admin.operator_updated'", [id]);
  return rows[0]!.n;
}

/** Another admin's change, open until `commit()`: it holds the operator's row. */
async function openChange(id: string, set: string): Promise<{ client: DbClient; pid: number; written: Promise<unknown>; commit(): Promise<void> }> {
  const client = await db.connect();
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  await client.query('BEGIN');
  const written = client.query(`UPDATE operators SET ${set}, version = version + 1 WHERE id = $1`, [id]);
  return {
    client,
    pid: rows[0]!.pid,
    written,
    async commit() {
      await written;
      await client.query('COMMIT');
      client.release();
    },
  };
}

/** Waits until a statement other than those of `besides` waits for a lock in this database. */
async function untilAnotherWaits(besides: number[]): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND NOT (pid = ANY($1::int[]))",
      [besides],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the backend `pid` waits for a lock. */
async function untilWaiting(pid: number): Promise<void> {
  for (;;) {
    const { rows } = await db.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [pid]);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test.serial('a PATCH that lost the race to another change is judged again on what that change left, and refused when it no longer pairs', async (t) => {
  const { id } = await operators.create(db.orm.em.fork(), { name: 'race-once', ...WALLET });
  // The other admin clears the wallet; this PATCH, read before that commits, sets only a new secret.
  const other = await openChange(id, 'wallet_url = NULL, wallet_secret = NULL');
  await other.written;
  const patch = operators.update(db.orm.em.fork(), id, { walletSecret: 'a-newer-wallet-secret-0000' });
  await untilAnotherWaits([other.pid]);
  await other.commit();

  const error = await t.throwsAsync(patch, { instanceOf: DomainError });
  t.is(error?.code, 'VALIDATION_FAILED');
  t.deepEqual(error?.extra.errors, [{ path: 'body.walletUrl', message: 'required with walletSecret: the default wallet is signed with the deployment secret' }]);
  t.like(await rowOf(id), { wallet_url: null, wallet_secret: null, version: 2 }, 'the winner stands: no wallet secret without its URL');
  t.is(await updatesAudited(id), 0);
});

test.serial('a PATCH that lost the race to a change of other fields is written on top of it, keeping both', async (t) => {
  const { id } = await operators.create(db.orm.em.fork(), { name: 'race-merge', ...WALLET });
  const other = await openChange(id, 'rate_limit_per_second = 50');
  await other.written;
  const patch = operators.update(db.orm.em.fork(), id, { name: 'race-merge-renamed' });
  await untilAnotherWaits([other.pid]);
  await other.commit();

  const view = await patch;
  t.like(view, { name: 'race-merge-renamed', rateLimitPerSecond: 50, walletSecretSet: true });
  t.like(await rowOf(id), { name: 'race-merge-renamed', rate_limit_per_second: 50, version: 3 });
  t.is(await updatesAudited(id), 1);
});

test.serial('a PATCH that loses the race twice is 409 OPERATOR_CHANGED and writes nothing', async (t) => {
  // Two changes queue on the row behind one another while the PATCH waits. When the first
  // commits, Postgres lets the PATCH and the second change race for the new row version: if
  // the PATCH's retry reads before the second commits, it loses twice (the case under test);
  // if the second change got the row first, the retry reads after it and is written on top of
  // both. Either outcome must be whole, and the scenario repeats until the first one is seen.
  let refused = 0;
  for (let round = 0; round < 20 && refused === 0; round += 1) {
    const { id } = await operators.create(db.orm.em.fork(), { name: `race-twice-${round}`, ...WALLET });
    const first = await openChange(id, 'rate_limit_per_second = 10');
    await first.written;
    const patch = operators.update(db.orm.em.fork(), id, { name: `race-twice-${round}-renamed` }).then(
      (view) => ({ view }),
      (error: unknown) => ({ error }),
    );
    await untilAnotherWaits([first.pid]);
    const second = await openChange(id, 'rate_limit_per_second = 20');
    await untilWaiting(second.pid);
    await first.commit();
    await second.written;
    await untilAnotherWaits([second.pid]);
    await second.commit();

    const result = await patch;
    if ('error' in result) {
      t.true(result.error instanceof DomainError);
      const error = result.error as DomainError;
      t.is(error.status, 409);
      t.is(error.code, 'OPERATOR_CHANGED');
      t.like(await rowOf(id), { name: `race-twice-${round}`, rate_limit_per_second: 20, version: 3 }, 'nothing of the PATCH written');
      t.is(await updatesAudited(id), 0);
      refused += 1;
    } else {
      t.like(result.view, { name: `race-twice-${round}-renamed`, rateLimitPerSecond: 20 });
      t.like(await rowOf(id), { name: `race-twice-${round}-renamed`, rate_limit_per_second: 20, version: 4 }, 'written on top of both changes');
      t.is(await updatesAudited(id), 1);
    }
  }
  t.is(refused, 1, 'the PATCH lost twice in one of 20 tries');
});

test.serial('every write to an operator bumps its version: create starts at 1, a PATCH and a key rotation add one each', async (t) => {
  const { id } = await operators.create(db.orm.em.fork(), { name: 'versions' });
  t.is((await rowOf(id)).version, 1);
  await operators.update(db.orm.em.fork(), id, { rateLimitPerSecond: 5 });
  t.is((await rowOf(id)).version, 2);
  await operators.rotateKey(db.orm.em.fork(), id);
  t.is((await rowOf(id)).version, 3);
});

test('requests that miss the cache together share one read of the key', async (t) => {
  const { apiKey } = await operators.create(db.orm.em.fork(), { name: 'shared-read' });
  // create() drops this node's cache: the key is read on its first use.
  const found = async () => (await operatorKeyLookupsTotal.get()).values.find((value) => value.labels.result === 'found')?.value ?? 0;
  const before = await found();
  const answers = await Promise.all(Array.from({ length: 20 }, () => operators.authenticate(apiKey)));
  t.true(answers.every((operator) => operator?.name === 'shared-read'));
  t.is((await found()) - before, 1);
  // Cached now: no read at all.
  await operators.authenticate(apiKey);
  t.is((await found()) - before, 1);
});
