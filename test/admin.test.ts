import { networkInterfaces } from 'node:os';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, TEST_ADMIN_TOKEN, type TestCluster } from './support/cluster.ts';
import { adminClient, operatorClient, request } from './support/http.ts';
import { adminUrlOf } from './support/operators.ts';

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

const nodeA = () => cluster.nodes[0]!.url;
const nodeB = () => cluster.nodes[1]!.url;
// SPEC §2: the admin API, Bull Board and /metrics are served on each node's admin listener.
const adminA = () => adminUrlOf(cluster.nodes[0]!);
const adminB = () => adminUrlOf(cluster.nodes[1]!);
const launch = { playerId: 'p-1', currency: 'EUR', jurisdiction: 'MT' };

test('an admin creates an operator whose key works on every node, returned once and stored hashed', async (t) => {
  const created = await adminClient(adminA(), TEST_ADMIN_TOKEN).post('/admin/operators', {
    name: 'casino-royale',
    walletUrl: 'http://127.0.0.1:4000',
    walletSecret: 'a-wallet-secret-of-some-length',
    webhookUrl: 'http://127.0.0.1:5000/hooks',
    webhookSecret: 'a-webhook-secret-of-some-length',
    rateLimitPerSecond: 50,
  });
  t.is(created.status, 201);
  t.deepEqual(Object.keys(created.body).sort(), ['apiKey', 'id', 'name']);
  t.is((await operatorClient(nodeB(), created.body.apiKey).post('/sessions/launch', launch)).status, 201);

  const stored = await db.query('SELECT * FROM operators WHERE id = $1', [created.body.id]);
  t.false(JSON.stringify(stored.rows).includes(created.body.apiKey), 'the key itself is never stored');

  const shown = await adminClient(adminB(), TEST_ADMIN_TOKEN).get(`/admin/operators/${created.body.id}`);
  t.like(shown.body, { name: 'casino-royale', walletSecretSet: true, webhookSecretSet: true, rateLimitPerSecond: 50 });
  t.false(JSON.stringify(shown.body).includes('a-wallet-secret'), 'secrets are never returned after creation');

  const duplicate = await adminClient(adminB(), TEST_ADMIN_TOKEN).post('/admin/operators', { name: 'casino-royale' });
  t.is(duplicate.status, 409);
  t.is(duplicate.body.code, 'OPERATOR_EXISTS');
});

test('a key rotated through node A is refused on node B at once, and the new key works', async (t) => {
  const admin = adminClient(adminA(), TEST_ADMIN_TOKEN);
  const created = await admin.post('/admin/operators', { name: 'rotating-casino' });
  const oldKey = created.body.apiKey;
  // Warm node B's key cache first, so the test proves the cache is dropped.
  t.is((await operatorClient(nodeB(), oldKey).post('/sessions/launch', launch)).status, 201);

  const rotated = await admin.post(`/admin/operators/${created.body.id}/keys/rotate`);
  t.is(rotated.status, 200);
  t.not(rotated.body.apiKey, oldKey);

  const refused = await operatorClient(nodeB(), oldKey).post('/sessions/launch', launch);
  t.is(refused.status, 401);
  t.is(refused.body.code, 'UNAUTHORIZED');
  t.is((await operatorClient(nodeB(), rotated.body.apiKey).post('/sessions/launch', launch)).status, 201);
  t.is((await operatorClient(nodeA(), oldKey).post('/sessions/launch', launch)).status, 401);
});

test('an admin patches wallet and webhook settings; clearing the wallet clears its URL and secret together', async (t) => {
  const admin = adminClient(adminA(), TEST_ADMIN_TOKEN);
  const created = await admin.post('/admin/operators', {
    name: 'patching-casino',
    walletUrl: 'https://old-wallet.example.com',
    walletSecret: 'initial-secret-0123456789',
  });
  const patched = await admin.patch(`/admin/operators/${created.body.id}`, {
    walletUrl: 'https://wallet.example.com',
    webhookUrl: 'https://hooks.example.com/rgs',
    webhookSecret: 'hook-secret-0123456789',
  });
  t.is(patched.status, 200);
  t.like(patched.body, {
    walletUrl: 'https://wallet.example.com',
    walletSecretSet: true,
    webhookUrl: 'https://hooks.example.com/rgs',
    webhookSecretSet: true,
  });
  const cleared = await admin.patch(`/admin/operators/${created.body.id}`, { walletUrl: null, walletSecret: null });
  t.is(cleared.status, 200);
  t.like(cleared.body, { walletUrl: null, walletSecretSet: false });
  const missing = await admin.patch('/admin/operators/00000000-0000-4000-8000-000000000000', { walletUrl: 'https://x.example.com' });
  t.is(missing.status, 404);
});

// SPEC §6: each operator's wallet is signed with its own secret; the deployment-wide
// WALLET_SECRET serves only operators without a wallet URL.
test("an operator's wallet URL and wallet secret are set together: one without the other is 400 and changes nothing", async (t) => {
  const admin = adminClient(adminA(), TEST_ADMIN_TOKEN);
  const problemPaths = (answer: { body: { errors?: { path: string }[] } }) => (answer.body.errors ?? []).map((error) => error.path);

  const urlOnly = await admin.post('/admin/operators', { name: 'half-wallet-casino', walletUrl: 'https://wallet.example.com' });
  t.is(urlOnly.status, 400);
  t.is(urlOnly.body.code, 'VALIDATION_FAILED');
  t.deepEqual(problemPaths(urlOnly), ['body.walletSecret']);
  const secretOnly = await admin.post('/admin/operators', { name: 'half-wallet-casino', walletSecret: 'a-wallet-secret-0123456789' });
  t.is(secretOnly.status, 400);
  t.deepEqual(problemPaths(secretOnly), ['body.walletUrl']);
  t.is(Number((await db.query("SELECT count(*) FROM operators WHERE name = 'half-wallet-casino'")).rows[0].count), 0, 'no operator was created');

  // PATCH is judged by the settings it would leave: the stored ones with the change applied.
  const bare = await admin.post('/admin/operators', { name: 'walletless-casino' });
  const id = bare.body.id as string;
  const patch = (body: Record<string, unknown>) => admin.patch(`/admin/operators/${id}`, body);
  const auditRows = async () =>
    Number((await db.query("SELECT count(*) FROM audit_log WHERE operator_id = $1 AND action = 'admin.operator_updated'", [id])).rows[0].count);
  const stored = async () => (await db.query('SELECT wallet_url, wallet_secret IS NOT NULL AS secret_set, updated_at FROM operators WHERE id = $1', [id])).rows[0];

  const before = await stored();
  const refusedUrl = await patch({ walletUrl: 'https://wallet.example.com', name: 'renamed-casino' });
  t.is(refusedUrl.status, 400);
  t.deepEqual(problemPaths(refusedUrl), ['body.walletSecret']);
  const refusedSecret = await patch({ walletSecret: 'a-wallet-secret-0123456789' });
  t.is(refusedSecret.status, 400);
  t.deepEqual(problemPaths(refusedSecret), ['body.walletUrl']);
  t.deepEqual(await stored(), before, 'a refused change changes nothing');
  t.is((await admin.get(`/admin/operators/${id}`)).body.name, 'walletless-casino');

  t.is((await patch({ walletUrl: 'https://wallet.example.com', walletSecret: 'a-wallet-secret-0123456789' })).status, 200);
  const paired = await stored();
  const clearSecret = await patch({ walletSecret: null });
  t.is(clearSecret.status, 400, 'clearing the secret would leave the wallet URL without one');
  t.deepEqual(problemPaths(clearSecret), ['body.walletSecret']);
  const clearUrl = await patch({ walletUrl: null });
  t.is(clearUrl.status, 400, 'clearing the URL would leave a secret no wallet uses');
  t.deepEqual(problemPaths(clearUrl), ['body.walletUrl']);
  t.deepEqual(await stored(), paired);

  // Either half may change on its own while the other stays set.
  t.like((await patch({ walletUrl: 'https://other-wallet.example.com' })).body, { walletUrl: 'https://other-wallet.example.com', walletSecretSet: true });
  t.is((await patch({ walletSecret: 'another-wallet-secret-0123' })).status, 200);
  t.is(await auditRows(), 3, 'only the accepted changes are audited');
});

test('admin actions are audited without their secrets', async (t) => {
  const admin = adminClient(adminA(), TEST_ADMIN_TOKEN);
  const created = await admin.post('/admin/operators', {
    name: 'audited-casino',
    walletUrl: 'https://wallet.example.com',
    walletSecret: 'audited-secret-0123456789',
  });
  await admin.patch(`/admin/operators/${created.body.id}`, { webhookSecret: 'audited-hook-secret-0123' });
  await admin.post(`/admin/operators/${created.body.id}/keys/rotate`);
  const audit = await db.query("SELECT action, actor, data FROM audit_log WHERE operator_id = $1 AND action LIKE 'admin.%' ORDER BY id", [
    created.body.id,
  ]);
  t.deepEqual(
    audit.rows.map((row) => `${row.actor}:${row.action}`),
    ['admin:admin.operator_created', 'admin:admin.operator_updated', 'admin:admin.key_rotated'],
  );
  t.false(JSON.stringify(audit.rows).includes('audited-secret'));
  t.false(JSON.stringify(audit.rows).includes('audited-hook-secret'));
});

test('admin endpoints refuse a missing or wrong token', async (t) => {
  const none = await request('POST', `${adminA()}/admin/operators`, { body: { name: 'x' } });
  t.is(none.status, 401);
  t.is(none.body.code, 'UNAUTHORIZED');
  const wrong = await adminClient(adminB(), 'not-the-admin-token-at-all').post('/admin/operators', { name: 'x' });
  t.is(wrong.status, 401);
  const operatorKey = await request('GET', `${adminA()}/admin/operators`, { headers: { 'x-operator-key': 'demo-alpha-key-LOCAL-ONLY' } });
  t.is(operatorKey.status, 401);
  t.is(Number((await db.query("SELECT count(*) FROM operators WHERE name = 'x'")).rows[0].count), 0);
});

test('the audit log refuses UPDATE, DELETE and TRUNCATE', async (t) => {
  await adminClient(adminA(), TEST_ADMIN_TOKEN).post('/admin/operators', { name: 'append-only-casino' });
  await t.throwsAsync(db.query("UPDATE audit_log SET action = 'tampered'"), { message: /append-only/ });
  await t.throwsAsync(db.query('DELETE FROM audit_log'), { message: /append-only/ });
  await t.throwsAsync(db.query('TRUNCATE audit_log'), { message: /append-only/ });
  t.true(Number((await db.query('SELECT count(*) FROM audit_log')).rows[0].count) > 0);
});

const basicAuth = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

test('Bull Board at /admin/queues needs the admin token and shows every queue', async (t) => {
  const refused = await request('GET', `${adminA()}/admin/queues`);
  t.is(refused.status, 401);
  t.regex(refused.headers.get('www-authenticate') ?? '', /Basic/);
  const page = await request('GET', `${adminB()}/admin/queues`, { headers: { authorization: basicAuth(TEST_ADMIN_TOKEN) } });
  t.is(page.status, 200);
  t.regex(String(page.body), /<html/i);
  const api = await request('GET', `${adminB()}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  t.is(api.status, 200);
  t.deepEqual(api.body.queues.map((queue: { name: string }) => queue.name).sort(), ['bet-credit', 'bet-debit', 'bet-rollback', 'webhook']);
  // The board's page calls its own API with the credentials the browser was given.
  const fromBrowser = await request('GET', `${adminB()}/admin/queues/api/queues`, { headers: { authorization: basicAuth(TEST_ADMIN_TOKEN) } });
  t.is(fromBrowser.status, 200);
});

test('the admin JSON API takes the Bearer token only: Basic auth with the right token is refused there', async (t) => {
  const basic = await request('POST', `${adminA()}/admin/operators`, { headers: { authorization: basicAuth(TEST_ADMIN_TOKEN) }, body: { name: 'basic-casino' } });
  t.is(basic.status, 401);
  t.is(basic.body.code, 'UNAUTHORIZED');
  t.notRegex(basic.headers.get('www-authenticate') ?? '', /Basic/, 'a browser is never asked for credentials it would resend on its own');
  t.is((await request('GET', `${adminA()}/admin/operators`, { headers: { authorization: basicAuth(TEST_ADMIN_TOKEN) } })).status, 401);
  t.is(Number((await db.query("SELECT count(*) FROM operators WHERE name = 'basic-casino'")).rows[0].count), 0);
  t.is((await adminClient(adminA(), TEST_ADMIN_TOKEN).get('/admin/operators')).status, 200);
});

test('the public port has no admin surface: the admin API, Bull Board and /metrics are 404 there, even with the admin token', async (t) => {
  const bearer = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  for (const [method, path, headers] of [
    ['GET', '/admin/operators', {}],
    ['GET', '/admin/operators', bearer],
    ['POST', '/admin/operators', bearer],
    ['GET', '/admin/queues', { authorization: basicAuth(TEST_ADMIN_TOKEN) }],
    ['GET', '/admin/queues/api/queues', bearer],
    ['GET', '/metrics', {}],
    ['GET', '/metrics', { 'x-operator-key': 'demo-alpha-key-LOCAL-ONLY' }],
  ] as const) {
    const answer = await request(method, `${nodeA()}${path}`, { headers, ...(method === 'POST' && { body: { name: 'public-port-casino' } }) });
    t.is(answer.status, 404, `${method} ${path}`);
    t.is(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    t.is(answer.body.code, 'NOT_FOUND');
  }
  t.is(Number((await db.query("SELECT count(*) FROM operators WHERE name = 'public-port-casino'")).rows[0].count), 0);
  // What load balancers need stays public.
  t.is((await request('GET', `${nodeA()}/health`)).status, 200);
  t.is((await request('GET', `${nodeA()}/ready`)).status, 200);
});

test('the admin listener serves the admin API, Bull Board and /metrics, on loopback by default, and the node logs both ports', async (t) => {
  const node = cluster.nodes[0]!;
  const metrics = await request<string>('GET', `${adminA()}/metrics`);
  t.is(metrics.status, 200);
  t.regex(metrics.body, /^# TYPE rgs_http_requests_total counter$/m);
  t.is((await adminClient(adminA(), TEST_ADMIN_TOKEN).get('/admin/operators')).status, 200);
  t.is((await request('GET', `${adminA()}/admin/queues`, { headers: { authorization: basicAuth(TEST_ADMIN_TOKEN) } })).status, 200);
  // The operator API and the probes are the public port's.
  t.is((await request('GET', `${adminA()}/bets`, { headers: { 'x-operator-key': 'demo-alpha-key-LOCAL-ONLY' } })).status, 404);

  const listening = JSON.parse(node.logs.find((line) => line.includes('"msg":"rgs node listening"')) ?? 'null') as Record<string, unknown> | null;
  t.like(listening, { port: node.port, adminPort: Number(new URL(adminA()).port), adminHost: '127.0.0.1' });
  t.not(listening?.adminPort, listening?.port);
  // ADMIN_HOST=127.0.0.1: reachable on loopback only, where the public port is reachable everywhere.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal);
  if (!external) return t.log('no non-loopback interface on this machine: the bind address is checked through the log line only');
  t.is((await request('GET', `http://${external.address}:${node.port}/health`)).status, 200);
  await t.throwsAsync(request('GET', `http://${external.address}:${new URL(adminA()).port}/metrics`));
});
