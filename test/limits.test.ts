import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';

// SPEC §3/§8: GET and PUT /limits — the operator's own limits, replaced wholesale, in
// force on every node from the next request, audited; bad bodies change nothing.

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

async function storedLimits(operatorId: string) {
  const { rows } = await db.query('SELECT blocked_jurisdictions, currencies, updated_at FROM operator_limits WHERE operator_id = $1', [operatorId]);
  const audits = await db.query("SELECT count(*) FROM audit_log WHERE operator_id = $1 AND action = 'limits.updated'", [operatorId]);
  return { row: rows[0] ?? null, audits: Number(audits.rows[0].count) };
}

test('an operator that set nothing has no limits', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const answer = await operator.client(nodeUrl(1)).get('/limits');
  t.is(answer.status, 200);
  t.deepEqual(answer.body, { blockedJurisdictions: [], currencies: {} });
});

test('limits put on one node are read back on the other and audited', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const limits = {
    blockedJurisdictions: ['US', 'FR'],
    currencies: { EUR: { maxBet: 10_000, dailyLossLimit: 50_000, dailyWinLimit: 100_000 }, USD: { maxBet: Number.MAX_SAFE_INTEGER } },
  };
  const put = await operator.client(nodeUrl(0)).put('/limits', limits);
  t.is(put.status, 200);
  t.deepEqual(put.body, limits);
  const read = await operator.client(nodeUrl(1)).get('/limits');
  t.deepEqual(read.body, limits);

  const audit = await db.query("SELECT actor, data FROM audit_log WHERE operator_id = $1 AND action = 'limits.updated'", [operator.id]);
  t.is(audit.rows.length, 1);
  t.is(audit.rows[0].actor, 'operator');
  t.deepEqual(audit.rows[0].data, limits);

  const audited = await operator.client(nodeUrl(1)).get('/audit?action=limits.updated');
  t.deepEqual(audited.body.items.map((item: any) => item.data), [limits]);
});

test('a PUT replaces the limits wholesale: what it omits is gone', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  await operator.client(nodeUrl(0)).put('/limits', { blockedJurisdictions: ['US'], currencies: { EUR: { maxBet: 100 }, GBP: { maxBet: 200 } } });
  const replaced = await operator.client(nodeUrl(1)).put('/limits', { currencies: { GBP: { dailyLossLimit: 300 } } });
  t.is(replaced.status, 200);
  t.deepEqual(replaced.body, { blockedJurisdictions: [], currencies: { GBP: { dailyLossLimit: 300 } } });
  t.deepEqual((await operator.client(nodeUrl(0)).get('/limits')).body, replaced.body);

  const cleared = await operator.client(nodeUrl(0)).put('/limits', {});
  t.deepEqual(cleared.body, { blockedJurisdictions: [], currencies: {} });
  t.deepEqual((await operator.client(nodeUrl(1)).get('/limits')).body, { blockedJurisdictions: [], currencies: {} });
  t.is((await storedLimits(operator.id)).audits, 3);
});

test('a blocked jurisdiction is in force on the other node from the next request', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const launch = (node: number) => operator.client(nodeUrl(node)).post('/sessions/launch', { playerId: 'pat', currency: 'USD', jurisdiction: 'US' });
  t.is((await launch(1)).status, 201);
  await operator.client(nodeUrl(0)).put('/limits', { blockedJurisdictions: ['US'] });
  const refused = await launch(1);
  t.is(refused.status, 403);
  t.is(refused.body.code, 'JURISDICTION_BLOCKED');
  await operator.client(nodeUrl(0)).put('/limits', { blockedJurisdictions: [] });
  t.is((await launch(1)).status, 201);
});

test('the largest limits the API allows are accepted', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const codes = (count: number, length: number) =>
    Array.from({ length: count }, (_, index) =>
      Array.from({ length }, (_, place) => String.fromCharCode(65 + (Math.floor(index / 26 ** place) % 26))).join(''),
    );
  const limits = {
    blockedJurisdictions: codes(250, 2),
    currencies: Object.fromEntries(codes(200, 3).map((code) => [code, { maxBet: 1, dailyLossLimit: Number.MAX_SAFE_INTEGER }])),
  };
  const put = await operator.client(nodeUrl(0)).put('/limits', limits);
  t.is(put.status, 200);
  t.deepEqual((await operator.client(nodeUrl(1)).get('/limits')).body, limits);
});

test('every malformed limits body is 400 and changes nothing', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const good = { blockedJurisdictions: ['US'], currencies: { EUR: { maxBet: 100, dailyLossLimit: 1000, dailyWinLimit: 2000 } } };
  await operator.client(nodeUrl(0)).put('/limits', good);
  const before = await storedLimits(operator.id);

  const badAmounts: unknown[] = [null, true, '100', -1, 0, 1.5, 2 ** 53, Number.MAX_VALUE, [], {}];
  const manyJurisdictions = Array.from({ length: 251 }, (_, index) => String.fromCharCode(65 + Math.floor(index / 26), 65 + (index % 26)));
  const manyCurrencies = Object.fromEntries(
    Array.from({ length: 201 }, (_, index) => [`C${String.fromCharCode(65 + Math.floor(index / 26), 65 + (index % 26))}`, {}]),
  );
  const bodies: { label: string; body: unknown }[] = [
    ...badAmounts.flatMap((value) =>
      ['maxBet', 'dailyLossLimit', 'dailyWinLimit'].map((field) => ({
        label: `${field}=${JSON.stringify(value)}`,
        body: { currencies: { EUR: { ...good.currencies.EUR, [field]: value } } },
      })),
    ),
    ...[null, 'US', 1, {}, [1], [null], ['us'], ['USA'], ['U'], ['U1'], ['US', 'US'], manyJurisdictions].map((value) => ({
      label: `blockedJurisdictions=${JSON.stringify(value).slice(0, 30)}`,
      body: { blockedJurisdictions: value },
    })),
    ...[null, 'EUR', 1, [], [{ maxBet: 1 }], { eur: {} }, { EURO: {} }, { EU: {} }, { '': {} }, { EUR: null }, { EUR: 5 }, { EUR: [] }, manyCurrencies].map(
      (value) => ({ label: `currencies=${JSON.stringify(value).slice(0, 30)}`, body: { currencies: value } }),
    ),
    { label: 'an unknown top-level field', body: { ...good, surprise: true } },
    { label: 'an unknown currency-level field', body: { currencies: { EUR: { maxBet: 1, minBet: 1 } } } },
    { label: 'a prototype-pollution currency', body: JSON.parse('{"currencies":{"__proto__":{"maxBet":1}}}') },
    { label: 'an array body', body: [good] },
  ];
  for (const { label, body } of bodies) {
    const answer = await operator.client(nodeUrl(1)).put('/limits', body);
    t.is(answer.status, 400, label);
    t.is(answer.body.code, 'VALIDATION_FAILED', label);
    t.true(answer.body.errors.length > 0, label);
  }
  const noBody = await operator.client(nodeUrl(1)).put('/limits');
  t.is(noBody.status, 400);
  const text = await operator.client(nodeUrl(1)).put('/limits', 'maxBet=1', { headers: { 'content-type': 'text/plain' } });
  t.is(text.status, 415);

  t.deepEqual(await storedLimits(operator.id), before);
  t.deepEqual((await operator.client(nodeUrl(0)).get('/limits')).body, good);
});

test("an operator never sees or changes another's limits", async (t) => {
  const alpha = await createOperator(cluster.nodes[0]!);
  const beta = await createOperator(cluster.nodes[0]!);
  await alpha.client(nodeUrl(0)).put('/limits', { blockedJurisdictions: ['DE'], currencies: { EUR: { maxBet: 5 } } });
  t.deepEqual((await beta.client(nodeUrl(1)).get('/limits')).body, { blockedJurisdictions: [], currencies: {} });
  await beta.client(nodeUrl(1)).put('/limits', { currencies: { USD: { maxBet: 7 } } });
  t.deepEqual((await alpha.client(nodeUrl(1)).get('/limits')).body, { blockedJurisdictions: ['DE'], currencies: { EUR: { maxBet: 5 } } });
});

test('limits need the operator key', async (t) => {
  const get = await fetch(`${nodeUrl(0)}/limits`);
  t.is(get.status, 401);
  const put = await fetch(`${nodeUrl(1)}/limits`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.is(put.status, 401);
});
