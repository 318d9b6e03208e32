import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';

let cluster: TestCluster;
let db: Db;

test.before(async () => {
  cluster = await startCluster({ nodes: 2 });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

const nodeUrl = (index: number) => cluster.nodes[index]!.url;
const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params)).rows[0].count);

test('a launched session can be verified on another node and revoked', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const launched = await operator.client(nodeUrl(0)).post('/sessions/launch', { playerId: 'alice', currency: 'EUR', jurisdiction: 'MT' });
  t.is(launched.status, 201);
  t.like(launched.body, { playerId: 'alice', currency: 'EUR', jurisdiction: 'MT', status: 'active', active: true });
  t.regex(launched.body.sessionToken, /^[0-9a-f-]{36}$/);
  t.regex(launched.body.fairness.serverSeedHash, /^[0-9a-f]{64}$/);
  t.is(launched.body.fairness.nonce, 0);
  t.true(new Date(launched.body.expiresAt).getTime() > Date.now());
  t.false('serverSeed' in launched.body.fairness, 'the server seed stays secret until rotation');

  const token = launched.body.sessionToken;
  const verified = await operator.client(nodeUrl(1)).get(`/sessions/${token}`);
  t.is(verified.status, 200);
  t.deepEqual(verified.body, launched.body);

  const revoked = await operator.client(nodeUrl(1)).post(`/sessions/${token}/revoke`);
  t.is(revoked.status, 200);
  t.like(revoked.body, { sessionToken: token, status: 'revoked', active: false });

  const again = await operator.client(nodeUrl(0)).get(`/sessions/${token}`);
  t.like(again.body, { status: 'revoked', active: false });
});

test('each session change writes its audit row and its event row', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const client = operator.client();
  const { body } = await client.post('/sessions/launch', { playerId: 'bob', currency: 'USD', jurisdiction: 'GB' });
  await client.get(`/sessions/${body.sessionToken}`);
  await client.post(`/sessions/${body.sessionToken}/revoke`);
  await client.post(`/sessions/${body.sessionToken}/revoke`);

  const audit = await db.query('SELECT action, player_id FROM audit_log WHERE operator_id = $1 AND player_id IS NOT NULL ORDER BY id', [operator.id]);
  t.deepEqual(
    audit.rows.map((row) => row.action),
    ['session.launched', 'session.verified', 'session.revoked'],
    'a second revoke records nothing new',
  );
  const events = await db.query('SELECT type, data FROM events WHERE operator_id = $1 ORDER BY seq', [operator.id]);
  t.deepEqual(
    events.rows.map((row) => row.type),
    ['session.launched', 'session.revoked'],
  );
  t.like(events.rows[0].data, { sessionToken: body.sessionToken, playerId: 'bob', currency: 'USD' });
});

test('20 concurrent launches for one new player create exactly one player and one seed pair', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, index) =>
      operator.client(nodeUrl(index % 2)).post('/sessions/launch', { playerId: 'carol', currency: 'EUR', jurisdiction: 'MT' }),
    ),
  );
  t.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([201]));
  t.is(new Set(answers.map((answer) => answer.body.sessionToken)).size, 20);
  t.is(new Set(answers.map((answer) => answer.body.fairness.serverSeedHash)).size, 1, 'one seed pair for the player');
  t.is(await count('SELECT count(*) FROM players WHERE operator_id = $1', [operator.id]), 1);
  t.is(await count('SELECT count(*) FROM seed_pairs WHERE operator_id = $1', [operator.id]), 1);
  t.is(await count('SELECT count(*) FROM sessions WHERE operator_id = $1', [operator.id]), 20);
});

test('a launch repeated with the same Idempotency-Key on another node returns the first session', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const body = { playerId: 'dave', currency: 'EUR', jurisdiction: 'MT' };
  const headers = { 'idempotency-key': 'launch-dave-1' };
  const first = await operator.client(nodeUrl(0)).post('/sessions/launch', body, { headers });
  const second = await operator.client(nodeUrl(1)).post('/sessions/launch', { jurisdiction: 'MT', currency: 'EUR', playerId: 'dave' }, { headers });
  t.is(first.status, 201);
  t.is(second.status, 201);
  t.deepEqual(second.body, first.body);

  const concurrent = await Promise.all(
    Array.from({ length: 10 }, (_, index) =>
      operator.client(nodeUrl(index % 2)).post('/sessions/launch', body, { headers: { 'idempotency-key': 'launch-dave-2' } }),
    ),
  );
  t.is(new Set(concurrent.map((answer) => answer.body.sessionToken)).size, 1);
  t.is(await count('SELECT count(*) FROM sessions WHERE operator_id = $1', [operator.id]), 2);

  const reused = await operator.client(nodeUrl(1)).post('/sessions/launch', { ...body, currency: 'USD' }, { headers });
  t.is(reused.status, 422);
  t.is(reused.body.code, 'IDEMPOTENCY_KEY_REUSED');
});

test('an expired session verifies as expired', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const { body } = await operator.client().post('/sessions/launch', { playerId: 'erin', currency: 'EUR', jurisdiction: 'MT' });
  await db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token = $1", [body.sessionToken]);
  const verified = await operator.client(nodeUrl(1)).get(`/sessions/${body.sessionToken}`);
  t.like(verified.body, { status: 'expired', active: false });
});

test('a launch in a blocked jurisdiction is refused, audited, and creates nothing', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  await db.query("INSERT INTO operator_limits (operator_id, blocked_jurisdictions) VALUES ($1, '{US,FR}')", [operator.id]);
  const refused = await operator.client(nodeUrl(1)).post('/sessions/launch', { playerId: 'frank', currency: 'USD', jurisdiction: 'US' });
  t.is(refused.status, 403);
  t.is(refused.body.code, 'JURISDICTION_BLOCKED');
  t.is(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  t.is(await count('SELECT count(*) FROM players WHERE operator_id = $1', [operator.id]), 0);
  t.is(await count("SELECT count(*) FROM audit_log WHERE operator_id = $1 AND action = 'session.refused'", [operator.id]), 1);
});

test("another operator's session is not found", async (t) => {
  const alpha = await createOperator(cluster.nodes[0]!);
  const beta = await createOperator(cluster.nodes[0]!);
  const { body } = await alpha.client().post('/sessions/launch', { playerId: 'gina', currency: 'EUR', jurisdiction: 'MT' });
  const peek = await beta.client(nodeUrl(1)).get(`/sessions/${body.sessionToken}`);
  t.is(peek.status, 404);
  t.is(peek.body.code, 'NOT_FOUND');
  const revoke = await beta.client(nodeUrl(1)).post(`/sessions/${body.sessionToken}/revoke`);
  t.is(revoke.status, 404);
  const still = await alpha.client().get(`/sessions/${body.sessionToken}`);
  t.is(still.body.status, 'active');
});

test('a missing or wrong operator key is 401 problem+json', async (t) => {
  const missing = await fetch(`${nodeUrl(0)}/sessions/00000000-0000-4000-8000-000000000000`);
  t.is(missing.status, 401);
  t.is(((await missing.json()) as { code: string }).code, 'UNAUTHORIZED');
  const wrong = await fetch(`${nodeUrl(1)}/sessions/00000000-0000-4000-8000-000000000000`, { headers: { 'x-operator-key': 'nope' } });
  t.is(wrong.status, 401);
});
