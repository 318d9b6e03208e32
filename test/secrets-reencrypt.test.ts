import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { openDb } from '../src/shared/db.ts';
import { rollDice } from '../src/games/dice/dice.ts';
import { generateServerSeed, hashServerSeed } from '../src/modules/fairness/seeds.ts';
import { hashApiKey } from '../src/modules/operators/api-keys.ts';
import { openOperatorSecret, sealOperatorSecret } from '../src/modules/operators/sealed-secrets.ts';
import { openServerSeed } from '../src/modules/fairness/sealed-seeds.ts';
import { migrate } from '../src/shared/migrate.ts';
import { initOrm } from '../src/shared/orm.ts';
import { createSecretsKeyring } from '../src/shared/secrets-keyring.ts';
import { startCluster, startNode, startWalletMock } from './support/cluster.ts';
import { APP_ROLE, createEmptyDatabase, createTestDatabase } from './support/database.ts';
import { operatorClient } from './support/http.ts';
import { FINAL, launch, placeBet, waitForBet } from './support/bets.ts';
import { createOperator } from './support/operators.ts';
import { PROJECT_ROOT } from './support/process.ts';
import { createRedisPrefix } from './support/redis.ts';
import { testKeyring } from './support/secrets.ts';

// SPEC §11: SECRETS_KEY can change. Values record the id of the key that sealed them;
// keys listed in SECRETS_KEYS_PREVIOUS still open theirs; `npm run secrets:reencrypt`
// seals everything again under the current key, in batches, and a second run has nothing
// to do. Values stored in clear before sealing existed (migration 0007) are sealed by the
// first node that starts.

const OLD_KEY = 'the-old-secrets-key-0123456789abcdef';
const NEW_KEY = 'the-new-secrets-key-0123456789abcdef';
const oldKeyring = createSecretsKeyring(OLD_KEY);
const newKeyring = createSecretsKeyring(NEW_KEY);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface ReencryptReport {
  keyId: string;
  operators: { resealed: number; unopenable: number };
  seedPairs: { resealed: number; unopenable: number };
}

/** `npm run secrets:reencrypt` as ops would run it. */
async function reencrypt(databaseUrl: string, env: Record<string, string>, args: string[] = []) {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reencrypt-secrets.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl, ...env },
    });
    return { code: 0, report: JSON.parse(stdout) as ReencryptReport, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, report: JSON.parse(failed.stdout) as ReencryptReport, output: failed.stdout + failed.stderr };
  }
}

test('secrets:reencrypt seals every secret and unrevealed seed under the new key, in batches; a second run changes nothing', async (t) => {
  const cluster = await startCluster({ nodeEnv: { SECRETS_KEY: OLD_KEY } });
  t.teardown(() => cluster.stop());
  // The operators' own wallet knows only their wallet secret: a bet settles only if the node signs with it.
  const walletSecret = `wallet-secret-${randomBytes(8).toString('hex')}`;
  const wallet = await startWalletMock({ WALLET_SECRET: walletSecret });
  t.teardown(() => wallet.stop('SIGKILL'));
  const db = await openDb(cluster.database.url, 2);
  t.teardown(() => db.end());

  // Under the old key: three operators with both secrets, four players, one rotation (a revealed pair).
  const operators = [];
  for (let index = 0; index < 3; index++) {
    const webhookSecret = `webhook-secret-${randomBytes(8).toString('hex')}`;
    const operator = await createOperator(cluster.nodes[0]!, { walletUrl: wallet.url, walletSecret, webhookSecret });
    operators.push({ ...operator, webhookSecret });
  }
  const alpha = operators[0]!;
  const sessions = new Map<string, string>();
  for (const player of ['p1', 'p2']) sessions.set(player, await launch(alpha.client(), player));
  for (const operator of operators.slice(1)) await launch(operator.client(), 'p1');
  const rotation = await alpha.client().post(`/sessions/${sessions.get('p2')}/seeds/rotate`);
  t.is(rotation.status, 200);
  const revealedBefore = (await db.query("SELECT id, server_seed FROM seed_pairs WHERE NOT active")).rows;
  t.deepEqual(revealedBefore.map((row) => row.server_seed), [rotation.body.previous.serverSeed], 'a revealed seed is stored in clear');

  const seedsBefore = (await db.query('SELECT id, server_seed FROM seed_pairs WHERE active ORDER BY id')).rows;
  const plainSeeds = seedsBefore.map((row) => oldKeyring.open(row.server_seed, `seed_pairs.server_seed:${row.id}`));
  t.is(seedsBefore.length, 4);
  await cluster.nodes[0]!.stop();

  const run = await reencrypt(cluster.database.url, { SECRETS_KEY: NEW_KEY, SECRETS_KEYS_PREVIOUS: OLD_KEY }, ['--batch-size', '2']);
  t.is(run.code, 0, run.output);
  t.deepEqual(run.report, { keyId: newKeyring.currentKeyId, operators: { resealed: 6, unopenable: 0 }, seedPairs: { resealed: 4, unopenable: 0 } });

  const operatorRows = (await db.query('SELECT id, wallet_secret, webhook_secret FROM operators ORDER BY id')).rows;
  for (const row of operatorRows) {
    const operator = operators.find((candidate) => candidate.id === row.id)!;
    t.true(row.wallet_secret.startsWith(`v1:${newKeyring.currentKeyId}:`));
    t.is(openOperatorSecret(newKeyring, row.id, 'wallet_secret', row.wallet_secret), walletSecret);
    t.is(openOperatorSecret(newKeyring, row.id, 'webhook_secret', row.webhook_secret), operator.webhookSecret);
  }
  const seedsAfter = (await db.query('SELECT id, server_seed FROM seed_pairs WHERE active ORDER BY id')).rows;
  t.deepEqual(seedsAfter.map((row) => openServerSeed(newKeyring, row.id, row.server_seed)), plainSeeds, 'the same seeds, sealed under the new key');
  t.deepEqual((await db.query('SELECT id, server_seed FROM seed_pairs WHERE NOT active')).rows, revealedBefore, 'a revealed seed is left in clear');

  const again = await reencrypt(cluster.database.url, { SECRETS_KEY: NEW_KEY, SECRETS_KEYS_PREVIOUS: OLD_KEY });
  t.deepEqual(again.report, { keyId: newKeyring.currentKeyId, operators: { resealed: 0, unopenable: 0 }, seedPairs: { resealed: 0, unopenable: 0 } });
  t.deepEqual((await db.query('SELECT id, server_seed FROM seed_pairs WHERE active ORDER BY id')).rows, seedsAfter, 'nothing rewritten');

  // A node that knows only the new key signs with the operator's wallet secret and draws from the same seed.
  const node = await cluster.addNode('node-new-key', { SECRETS_KEY: NEW_KEY });
  const client = operatorClient(node.url, alpha.apiKey);
  const pair = (await db.query("SELECT id, client_seed, next_nonce, server_seed_hash FROM seed_pairs WHERE operator_id = $1 AND player_id = 'p1' AND active", [alpha.id])).rows[0];
  const seed = openServerSeed(newKeyring, pair.id, seedsAfter.find((row) => row.id === pair.id)!.server_seed);
  const roll = rollDice(seed, pair.client_seed, Number(pair.next_nonce)).roll;
  const params = roll < 98 ? { target: 98, direction: 'under' } : { target: 2, direction: 'over' };
  const placed = await placeBet(client, sessions.get('p1')!, 500, params);
  t.true([201, 202].includes(placed.status), JSON.stringify(placed.body));
  const settled = await waitForBet(client, placed.body.id, FINAL);
  t.is(settled.status, 'won', 'the wallet accepted the signature made with the re-encrypted secret');
  t.is(settled.outcome.roll, roll, 'drawn from the re-encrypted seed');
  const rotated = await client.post(`/sessions/${sessions.get('p1')}/seeds/rotate`);
  t.is(rotated.body.previous.serverSeed, seed);
  t.is(sha256(seed), pair.server_seed_hash, 'the revealed seed hashes to its commitment');
});

test('secrets:reencrypt leaves a value no configured key opens, says so and exits 1', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const db = await openDb(database.url, 1);
  t.teardown(() => db.end());
  const lost = createSecretsKeyring('a-key-nobody-configured-0123456789');
  const [known, unknown] = [randomUUID(), randomUUID()];
  for (const [id, keyring] of [[known, oldKeyring], [unknown, lost]] as const) {
    await db.query('INSERT INTO operators (id, name, api_key_hash, wallet_secret) VALUES ($1, $2, $3, $4)', [
      id,
      `operator-${id}`,
      hashApiKey(id),
      sealOperatorSecret(keyring, id, 'wallet_secret', 'a-wallet-secret-0123456789'),
    ]);
  }
  const before = (await db.query('SELECT wallet_secret FROM operators WHERE id = $1', [unknown])).rows[0].wallet_secret;

  const run = await reencrypt(database.url, { SECRETS_KEY: NEW_KEY, SECRETS_KEYS_PREVIOUS: OLD_KEY });
  t.is(run.code, 1);
  t.deepEqual(run.report.operators, { resealed: 1, unopenable: 1 });
  t.regex(run.output, /neither SECRETS_KEY nor in SECRETS_KEYS_PREVIOUS/);
  t.false(run.output.includes('a-wallet-secret-0123456789'), 'no value in the output');
  t.is((await db.query('SELECT wallet_secret FROM operators WHERE id = $1', [unknown])).rows[0].wallet_secret, before, 'left as it was');
  const resealed = (await db.query('SELECT wallet_secret FROM operators WHERE id = $1', [known])).rows[0].wallet_secret;
  t.is(openOperatorSecret(newKeyring, known, 'wallet_secret', resealed), 'a-wallet-secret-0123456789');
});

test('secrets and unrevealed seeds stored in clear before migration 0007 are sealed when a node starts, and keep working', async (t) => {
  const database = await createEmptyDatabase();
  t.teardown(() => database.drop());
  const orm = await initOrm(database.url);
  await orm.getMigrator().up({ to: '0006-audit-time-ordered-indexes' });
  await orm.close();

  // What the previous version stored: secrets and the active seed in clear, a revealed seed in clear.
  const walletSecret = `legacy-wallet-secret-${randomBytes(8).toString('hex')}`;
  const wallet = await startWalletMock({ WALLET_SECRET: walletSecret });
  t.teardown(() => wallet.stop('SIGKILL'));
  const db = await openDb(database.url, 2);
  t.teardown(() => db.end());
  const operatorId = randomUUID();
  const apiKey = `legacy-key-${randomBytes(8).toString('hex')}`;
  const webhookSecret = `legacy-webhook-secret-${randomBytes(8).toString('hex')}`;
  await db.query('INSERT INTO operators (id, name, api_key_hash, wallet_url, wallet_secret, webhook_secret) VALUES ($1, $2, $3, $4, $5, $6)', [
    operatorId,
    'legacy-operator',
    hashApiKey(apiKey),
    wallet.url,
    walletSecret,
    webhookSecret,
  ]);
  await db.query("INSERT INTO players (operator_id, player_id) VALUES ($1, 'legacy-player')", [operatorId]);
  const [revealedSeed, activeSeed] = [generateServerSeed(), generateServerSeed()];
  const [revealedId, activeId] = [randomUUID(), randomUUID()];
  await db.query(
    `INSERT INTO seed_pairs (id, operator_id, player_id, server_seed, server_seed_hash, client_seed, next_nonce, active, revealed_at)
     VALUES ($1, $3, 'legacy-player', $4, $5, 'c1', 3, false, now()), ($2, $3, 'legacy-player', $6, $7, 'c2', 0, true, NULL)`,
    [revealedId, activeId, operatorId, revealedSeed, hashServerSeed(revealedSeed), activeSeed, hashServerSeed(activeSeed)],
  );

  t.is((await migrate(database.url, APP_ROLE))[0], '0007-secrets-sealed-at-rest', 'the sealing migration runs on the legacy rows (any later one after it)');
  const redis = createRedisPrefix();
  t.teardown(() => redis.cleanup());
  const node = await startNode({ databaseUrl: database.url, redisPrefix: redis.prefix, walletUrl: wallet.url });
  t.teardown(() => node.stop('SIGKILL'));

  const stored = (await db.query('SELECT wallet_secret, webhook_secret FROM operators WHERE id = $1', [operatorId])).rows[0];
  t.is(openOperatorSecret(testKeyring, operatorId, 'wallet_secret', stored.wallet_secret), walletSecret);
  t.true(testKeyring.isSealed(stored.wallet_secret), 'the wallet secret is sealed now');
  t.true(testKeyring.isSealed(stored.webhook_secret), 'the webhook secret is sealed now');
  t.is(openOperatorSecret(testKeyring, operatorId, 'webhook_secret', stored.webhook_secret), webhookSecret);
  const seeds = new Map((await db.query('SELECT id, server_seed FROM seed_pairs WHERE operator_id = $1', [operatorId])).rows.map((row) => [row.id, row.server_seed]));
  t.is(seeds.get(revealedId), revealedSeed, 'the revealed seed stays in clear');
  t.true(testKeyring.isSealed(seeds.get(activeId)), 'the active seed is sealed now');
  t.is(openServerSeed(testKeyring, activeId, seeds.get(activeId)), activeSeed);
  t.true(node.logs.some((line) => line.includes('sealed the secrets stored in clear')));

  // The player bets on: drawn from the seed committed before the upgrade, signed with the same wallet secret.
  const client = operatorClient(node.url, apiKey);
  const session = await launch(client, 'legacy-player');
  const roll = rollDice(activeSeed, 'c2', 0).roll;
  const placed = await placeBet(client, session, 500, roll < 98 ? { target: 98, direction: 'under' } : { target: 2, direction: 'over' });
  const settled = await waitForBet(client, placed.body.id, FINAL);
  t.like(settled, { status: 'won', outcome: { roll } });
  const rotated = await client.post(`/sessions/${session}/seeds/rotate`);
  t.is(rotated.body.previous.serverSeed, activeSeed);
});
