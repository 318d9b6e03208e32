import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { sealOperatorSecret } from '../src/modules/operators/sealed-secrets.ts';
import { startCluster, TEST_ADMIN_TOKEN, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { adminClient, operatorClient } from './support/http.ts';
import { launch, ledger, placeBet } from './support/bets.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { testKeyring } from './support/secrets.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';
import { waitUntil } from './support/wait.ts';

// SPEC §6/§7/§11, no server-side request forgery: with ALLOW_PRIVATE_TARGETS=false (the
// production default) a wallet or webhook URL may not reach loopback, private, link-local
// (the metadata service), CGNAT or unspecified addresses — refused when an admin sets it,
// and again when a connection is opened, whatever the row says by then (a name that
// resolved to a public address when it was set may resolve to 127.0.0.1 later: DNS
// rebinding). The wallet mock and the receiver below run on 127.0.0.1, as an internal
// service would.

let cluster: TestCluster;
let receiver: WebhookReceiver;
let db: Db;

test.before(async () => {
  cluster = await startCluster({
    nodeEnv: { ALLOW_PRIVATE_TARGETS: 'false', BET_RESPONSE_WAIT_MS: '200', BET_RETRY_BASE_MS: '50', BET_RETRY_MAX_MS: '200', WEBHOOK_RETRY_BASE_MS: '50' },
  });
  receiver = await startWebhookReceiver();
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await receiver?.close();
  await cluster?.stop();
});

const admin = () => adminClient(adminUrlOf(cluster.nodes[0]!), TEST_ADMIN_TOKEN);
const walletSecret = 'a-wallet-secret-of-some-length';

const FORBIDDEN_URLS: Record<string, string[]> = {
  'loopback': ['http://127.0.0.1:4000', 'http://127.8.9.10/', 'http://[::1]:4000/', 'http://localhost:4000', 'http://wallet.localhost/'],
  'private (RFC 1918, fc00::/7)': ['http://10.0.0.8/', 'https://172.20.1.1/', 'https://192.168.1.10/rgs', 'https://[fd00::10]/'],
  'link-local and the metadata service': ['http://169.254.169.254/latest/meta-data/', 'https://[fe80::1]/'],
  'CGNAT': ['https://100.64.0.1/', 'https://100.127.255.254/'],
  'unspecified': ['http://0.0.0.0:4000/', 'https://[::]/'],
  'IPv4-mapped IPv6 and other spellings': ['http://[::ffff:127.0.0.1]/', 'http://[::ffff:a9fe:a9fe]/', 'http://2130706433/', 'http://0x7f.0.0.1/'],
};

test('the admin API refuses wallet and webhook URLs on loopback, private, link-local, CGNAT or unspecified addresses with 400 naming the field', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const shown = (await admin().get(`/admin/operators/${operator.id}`)).body;
  for (const [range, urls] of Object.entries(FORBIDDEN_URLS)) {
    for (const url of urls) {
      const created = await admin().post('/admin/operators', { name: `ssrf-${range.length}-${url.length}`, walletUrl: url, walletSecret });
      t.is(created.status, 400, `${url} (${range})`);
      t.is(created.body.code, 'VALIDATION_FAILED');
      t.deepEqual(created.body.errors.map((error: { path: string }) => error.path), ['body.walletUrl'], url);
      t.regex(created.body.errors[0].message, /loopback, private, link-local, CGNAT or unspecified/);

      const patched = await admin().patch(`/admin/operators/${operator.id}`, { webhookUrl: url });
      t.is(patched.status, 400, `${url} (${range})`);
      t.deepEqual(patched.body.errors.map((error: { path: string }) => error.path), ['body.webhookUrl'], url);
    }
  }
  const both = await admin().post('/admin/operators', { name: 'ssrf-both', walletUrl: 'http://10.1.1.1/', walletSecret, webhookUrl: 'http://169.254.169.254/' });
  t.deepEqual(both.body.errors.map((error: { path: string }) => error.path), ['body.walletUrl', 'body.webhookUrl'], 'every bad field is named');

  // Nothing changed: no operator was created, the patched one is as it was.
  const names = (await admin().get('/admin/operators')).body.items.map((item: { name: string }) => item.name);
  t.deepEqual(names.filter((name: string) => name.startsWith('ssrf-')), []);
  t.deepEqual((await admin().get(`/admin/operators/${operator.id}`)).body, shown);

  // Not vacuous: a public address is accepted.
  const publicWallet = await admin().post('/admin/operators', { name: 'ssrf-public', walletUrl: 'https://93.184.216.34/rgs', walletSecret, webhookUrl: 'https://[2606:4700::1111]/hooks' });
  t.is(publicWallet.status, 201, JSON.stringify(publicWallet.body));
});

test('a wallet URL that points at 127.0.0.1 by the time of the call (DNS rebinding) never gets the debit', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  // What a rebinding does: the URL the admin check let through now reaches the internal network.
  await db.query('UPDATE operators SET wallet_url = $2, wallet_secret = $3 WHERE id = $1', [
    operator.id,
    cluster.wallet.url,
    sealOperatorSecret(testKeyring, operator.id, 'wallet_secret', TEST_WALLET_SECRET),
  ]);
  t.is((await fetch(`${cluster.wallet.url}/health`)).status, 200, 'not vacuous: the wallet is up and reachable from here');

  const client = operator.client();
  const session = await launch(client, 'rebound-player');
  const placed = await placeBet(client, session, 1_000, { target: 50, direction: 'under' });
  t.true([201, 202].includes(placed.status), JSON.stringify(placed.body));
  const betId = placed.body.id;

  // A first attempt in the request's process and retries through the queue: each refused before connecting.
  let debit: { attempts: number; last_error: string } | undefined;
  await waitUntil(async () => {
    debit = (await db.query('SELECT attempts, last_error FROM wallet_transactions WHERE id = $1', [`${betId}:debit`])).rows[0];
    return (debit?.attempts ?? 0) >= 2;
  }, 'two debit attempts');
  t.is(debit!.last_error, 'wallet unreachable (FORBIDDEN_TARGET)');
  t.deepEqual(await ledger(cluster.wallet.url), [], 'the wallet never saw a debit');

  const bet = (await client.get(`/bets/${betId}`)).body;
  t.false(['won', 'lost'].includes(bet.status), `the bet is not settled as debited (${bet.status})`);
  const transactions = (await client.get('/transactions')).body.items;
  t.true(transactions.length > 0);
  for (const transaction of transactions) {
    t.false(JSON.stringify(transaction).includes('127.0.0.1'), 'no internal address in what the operator reads');
  }
});

test('a webhook URL that points at 127.0.0.1 by the time of the call (DNS rebinding) gets no event', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  await db.query('UPDATE operators SET webhook_url = $2 WHERE id = $1', [operator.id, receiver.url]);
  const client = operatorClient(cluster.nodes[0]!.url, operator.apiKey);
  await launch(client, 'hooked-player');

  let delivery: { attempts: number; status: string; lastError: string } | undefined;
  await waitUntil(async () => {
    delivery = (await client.get('/webhooks/deliveries')).body.items.find((item: { attempts: number }) => item.attempts >= 1);
    return delivery !== undefined;
  }, 'a delivery attempt');
  t.is(delivery!.lastError, 'receiver unreachable: FORBIDDEN_TARGET');
  t.not(delivery!.status, 'delivered');
  t.deepEqual(receiver.received, [], 'the receiver got no request');
});
