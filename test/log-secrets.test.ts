import { randomBytes } from 'node:crypto';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, startWalletMock, TEST_ADMIN_TOKEN, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { adminClient, operatorClient } from './support/http.ts';
import { FINAL, launch, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';
import { adminUrlOf } from './support/operators.ts';
import type { RunningProcess } from './support/process.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';
import { serverSeedOf } from './support/secrets.ts';

// SPEC §9/§11: logs never hold API keys, the admin token, wallet or webhook secrets, or a
// server seed before its reveal. A whole operator's life runs on real nodes logging at
// debug, and every line of every process is searched for each secret.

let cluster: TestCluster;
let wallet: RunningProcess;
let webhooks: WebhookReceiver;
let db: Db;

const walletSecret = `wallet-secret-${randomBytes(12).toString('hex')}`;
const webhookSecret = `webhook-secret-${randomBytes(12).toString('hex')}`;

test.before(async () => {
  cluster = await startCluster({
    nodes: 2,
    nodeEnv: { LOG_LEVEL: 'debug', BET_DEBIT_ATTEMPTS: '2', BET_RETRY_BASE_MS: '10', BET_RETRY_MAX_MS: '100', WALLET_TIMEOUT_MS: '400' },
    walletEnv: { LOG_LEVEL: 'debug' },
  });
  // The operator's own wallet, which knows only the operator's wallet secret.
  wallet = await startWalletMock({ WALLET_SECRET: walletSecret, LOG_LEVEL: 'debug' });
  webhooks = await startWebhookReceiver({ secret: webhookSecret });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await wallet?.stop('SIGKILL');
  await webhooks?.close();
  await cluster?.stop();
});

/** Each line (by process name) that contains `secret`. */
function linesWith(processes: RunningProcess[], secret: string, upTo?: Map<RunningProcess, number>): string[] {
  return processes.flatMap((proc) =>
    proc.logs
      .slice(0, upTo?.get(proc) ?? proc.logs.length)
      .filter((line) => line.includes(secret))
      .map((line) => `${proc.name}: ${line}`),
  );
}

test('no key, token, secret or unrevealed server seed reaches any log line', async (t) => {
  const [nodeA, nodeB] = [cluster.nodes[0]!, cluster.nodes[1]!];
  const admin = adminClient(adminUrlOf(nodeA), TEST_ADMIN_TOKEN);

  const created = await admin.post<{ id: string; apiKey: string }>('/admin/operators', {
    name: 'logged-operator',
    walletUrl: wallet.url,
    walletSecret,
    webhookUrl: webhooks.url,
    webhookSecret,
  });
  t.is(created.status, 201);
  const firstKey = created.body.apiKey;
  const rotated = await adminClient(adminUrlOf(nodeB), TEST_ADMIN_TOKEN).post<{ apiKey: string }>(`/admin/operators/${created.body.id}/keys/rotate`);
  t.is(rotated.status, 200);
  const apiKey = rotated.body.apiKey;
  t.is((await operatorClient(nodeA.url, firstKey).get('/bets')).status, 401, 'the rotated-out key is refused (and its request logged)');
  t.is((await admin.get(`/admin/operators/${created.body.id}`)).status, 200);

  const client = operatorClient(nodeA.url, apiKey);
  const other = operatorClient(nodeB.url, apiKey);
  const session = await launch(client, 'player-logs');
  const bet = async (via: typeof client, want: 'win' | 'lose') => {
    const placed = await placeBet(via, session, 1_000, await paramsFor(db, created.body.id, 'player-logs', want));
    t.true([201, 202].includes(placed.status), JSON.stringify(placed.body));
    return waitForBet(client, placed.body.id, FINAL);
  };
  t.is((await bet(client, 'win')).status, 'won');
  t.is((await bet(other, 'lose')).status, 'lost');
  // Wallet trouble: retries, a rollback and their warnings go through the logs too.
  await setFaults(wallet.url, { debit: { lostResponseRate: 1 } });
  t.is((await bet(client, 'win')).status, 'cancelled');
  await setFaults(wallet.url, {});

  const processes = [...cluster.nodes, cluster.wallet, wallet];
  const beforeReveal = new Map(processes.map((proc) => [proc, proc.logs.length]));
  const used = (await db.query<{ id: string; server_seed: string }>('SELECT id, server_seed FROM seed_pairs WHERE operator_id = $1', [created.body.id])).rows.map(serverSeedOf);
  const seedRotation = await client.post(`/sessions/${session}/seeds/rotate`, { clientSeed: 'my-own-client-seed' });
  t.is(seedRotation.status, 200);
  const last = await bet(other, 'win');
  t.is(last.status, 'won');
  await webhooks.waitFor((received) => received.some((request) => request.rawBody.includes(last.id)));

  const { rows: unrevealed } = await db.query<{ id: string; server_seed: string }>('SELECT id, server_seed FROM seed_pairs WHERE operator_id = $1 AND revealed_at IS NULL', [
    created.body.id,
  ]);
  t.is(unrevealed.length, 1);
  const secrets: Record<string, string> = {
    'the first API key': firstKey,
    'the rotated API key': apiKey,
    'the admin token': TEST_ADMIN_TOKEN,
    "the operator's wallet secret": walletSecret,
    'the default wallet secret': TEST_WALLET_SECRET,
    'the webhook secret': webhookSecret,
    'the current server seed': serverSeedOf(unrevealed[0]!),
  };
  for (const [what, secret] of Object.entries(secrets)) t.deepEqual(linesWith(processes, secret), [], what);
  // The rotated-out seed was a secret until the rotation revealed it.
  for (const seed of used) t.deepEqual(linesWith(processes, seed, beforeReveal), [], 'a server seed before its reveal');

  // Not vacuous: the nodes did log every request, with node and request ids.
  const requestLines = cluster.nodes
    .flatMap((node) => node.logs)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { nodeId?: string; req?: { id?: string; url?: string } })
    .filter((line) => line.req?.url !== undefined);
  t.true(requestLines.some((line) => line.req?.url === '/admin/operators'));
  t.true(requestLines.some((line) => line.req?.url === '/bets'));
  t.true(requestLines.every((line) => line.nodeId?.startsWith('node-') && typeof line.req?.id === 'string'));
});
