import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, startWalletMock, TEST_ADMIN_TOKEN, type TestCluster } from './support/cluster.ts';
import { adminClient, operatorClient, request } from './support/http.ts';
import { FINAL, launch, paramsFor, placeBet, waitForBet } from './support/bets.ts';
import type { RunningProcess } from './support/process.ts';
import { serverSeedOf } from './support/secrets.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';
import { adminUrlOf } from './support/operators.ts';

// SPEC §11: wallet and webhook secrets and unrevealed server seeds are stored sealed
// (AES-256-GCM under SECRETS_KEY). Whoever reads the database — a dump, a backup, a
// replica, a SQL injection — finds none of them in clear; the nodes still sign with the
// secrets and draw from the seeds, and a seed revealed by rotation still hashes to the
// commitment made at launch.

let cluster: TestCluster;
let wallet: RunningProcess;
let webhooks: WebhookReceiver;
let db: Db;

const walletSecret = `wallet-secret-${randomBytes(12).toString('hex')}`;
const webhookSecret = `webhook-secret-${randomBytes(12).toString('hex')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

test.before(async () => {
  cluster = await startCluster({ nodes: 2 });
  // The operator's own wallet, which knows only the operator's wallet secret: a bet settles only if the node signs with it.
  wallet = await startWalletMock({ WALLET_SECRET: walletSecret });
  webhooks = await startWebhookReceiver({ secret: webhookSecret });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await wallet?.stop('SIGKILL');
  await webhooks?.close();
  await cluster?.stop();
});

/** Everything in the test database, as a backup would hold it. */
async function dumpDatabase(): Promise<string> {
  const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', '--no-owner', cluster.database.url], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

test('a dump of the database holds no wallet or webhook secret and no unrevealed server seed in clear; bets still verify after rotation', async (t) => {
  const [nodeA, nodeB] = [cluster.nodes[0]!, cluster.nodes[1]!];
  const created = await adminClient(adminUrlOf(nodeA), TEST_ADMIN_TOKEN).post<{ id: string; apiKey: string }>('/admin/operators', {
    name: 'sealed-operator',
    walletUrl: wallet.url,
    walletSecret,
    webhookUrl: webhooks.url,
    webhookSecret,
  });
  t.is(created.status, 201);
  const operatorId = created.body.id;
  const client = operatorClient(nodeA.url, created.body.apiKey);
  const other = operatorClient(nodeB.url, created.body.apiKey);

  const players = ['sealed-p1', 'sealed-p2'];
  const sessions = await Promise.all(players.map((player) => launch(client, player)));
  const commitment = (await client.get(`/sessions/${sessions[0]}`)).body.fairness.serverSeedHash;
  const bets: { id: string; roundId: string }[] = [];
  for (const [index, player] of players.entries()) {
    for (const [via, want] of [[client, 'win'], [other, 'lose']] as const) {
      const placed = await placeBet(via, sessions[index]!, 1_000, await paramsFor(db, operatorId, player, want));
      t.true([201, 202].includes(placed.status), JSON.stringify(placed.body));
      const settled = await waitForBet(client, placed.body.id, FINAL);
      // Settled against the operator's wallet: the nodes signed with its wallet secret.
      t.is(settled.status, want === 'win' ? 'won' : 'lost');
      bets.push({ id: settled.id, roundId: settled.roundId });
    }
  }
  // Delivered and verified by the receiver: the nodes signed with the webhook secret.
  await webhooks.waitFor((received) => received.some((hook) => hook.verified && hook.rawBody.includes(bets.at(-1)!.id)));

  const pairs = async () => (await db.query<{ id: string; server_seed: string; server_seed_hash: string; active: boolean }>(
    'SELECT id, server_seed, server_seed_hash, active FROM seed_pairs WHERE operator_id = $1', [operatorId])).rows;
  const unrevealed = (await pairs()).map(serverSeedOf);
  t.is(unrevealed.length, 2);
  for (const seed of unrevealed) t.regex(seed, /^[0-9a-f]{64}$/, 'the stored value opens to a seed');

  const dump = await dumpDatabase();
  t.true(dump.includes(operatorId) && dump.includes(commitment), 'not vacuous: the dump holds the operator and its seed commitments');
  t.false(dump.includes(walletSecret), 'the wallet secret');
  t.false(dump.includes(webhookSecret), 'the webhook secret');
  for (const seed of unrevealed) t.false(dump.includes(seed), 'an unrevealed server seed');
  const { rows: operatorRows } = await db.query('SELECT wallet_secret, webhook_secret FROM operators WHERE id = $1', [operatorId]);
  t.regex(operatorRows[0].wallet_secret, /^v1:[0-9a-f]{16}:/, 'sealed, with the id of its key');
  t.regex(operatorRows[0].webhook_secret, /^v1:[0-9a-f]{16}:/);

  // Rotation reveals player 1's seed: it hashes to the launch commitment and replays both of its bets.
  const rotated = await client.post(`/sessions/${sessions[0]}/seeds/rotate`);
  t.is(rotated.status, 200);
  const revealed = rotated.body.previous.serverSeed;
  t.is(revealed, unrevealed.find((seed) => sha256(seed) === commitment));
  t.is(sha256(revealed), commitment);
  for (const bet of bets.slice(0, 2)) {
    const round = (await other.get(`/rounds/${bet.roundId}`)).body;
    t.is(round.fairness.serverSeed, revealed);
    const replay = await request('GET', `${nodeB.url}/fairness/verify?game=dice&serverSeed=${revealed}&clientSeed=${encodeURIComponent(round.fairness.clientSeed)}&nonce=${round.fairness.nonce}`);
    t.is(replay.body.outcome.roll, round.outcome.roll, 'the revealed seed replays the bet');
  }

  const afterRotation = await pairs();
  const stillSecret = afterRotation.filter((pair) => pair.active).map(serverSeedOf);
  t.is(stillSecret.length, 2, "player 2's pair and player 1's new one");
  const dumpAfter = await dumpDatabase();
  t.true(dumpAfter.includes(revealed), 'a revealed seed is public: it may be stored in clear');
  for (const seed of stillSecret) t.false(dumpAfter.includes(seed), 'an unrevealed server seed, after the rotation');
  t.false(dumpAfter.includes(walletSecret) || dumpAfter.includes(webhookSecret));
});

test('Postgres refuses a secret or an unrevealed seed written in clear', async (t) => {
  const created = await adminClient(adminUrlOf(cluster.nodes[0]!), TEST_ADMIN_TOKEN).post<{ id: string; apiKey: string }>('/admin/operators', { name: 'clear-writer' });
  await launch(operatorClient(cluster.nodes[0]!.url, created.body.apiKey), 'clear-player');
  for (const column of ['wallet_secret', 'webhook_secret']) {
    await t.throwsAsync(db.query(`UPDATE operators SET ${column} = 'a-secret-in-clear-0123456789' WHERE id = $1`, [created.body.id]), {
      message: /violates check constraint "operators_\w+_sealed"/,
    });
  }
  await t.throwsAsync(db.query("UPDATE seed_pairs SET server_seed = repeat('a', 64) WHERE operator_id = $1 AND active", [created.body.id]), {
    message: /violates check constraint "seed_pairs_server_seed_sealed"/,
  });
  await t.throwsAsync(db.query("UPDATE seed_pairs SET server_seed = repeat('a', 64), revealed_at = now() WHERE operator_id = $1 AND active", [created.body.id]), {
    message: /violates check constraint "seed_pairs_server_seed_sealed"/,
  }, 'an active pair marked revealed is still secret');
});
