import { createHash, randomUUID } from 'node:crypto';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { rollDice } from '../src/games/dice/dice.ts';
import { SEED_A, SEED_A_HASH } from '../src/modules/fairness/test-vectors.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { request } from './support/http.ts';
import { serverSeedOf } from './support/secrets.ts';

// SPEC §3/§5: rotation reveals the old server seed and starts a new pair at nonce 0, never
// while one of the player's bets is unsettled; anyone can then recompute every round of the
// old pair with GET /fairness/verify (no key).

let cluster: TestCluster;
let db: Db;

test.before(async () => {
  cluster = await startCluster({ nodes: 2 });
  db = await openDb(cluster.database.url, 4);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

const nodeUrl = (index: number) => cluster.nodes[index]!.url;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const verify = (query: Record<string, string | number>, node = 0) =>
  request('GET', `${nodeUrl(node)}/fairness/verify?${new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]))}`);

async function launch(playerId: string, body: Record<string, unknown> = {}) {
  const operator = await createOperator(cluster.nodes[0]!);
  const launched = await operator.client(nodeUrl(0)).post('/sessions/launch', { playerId, currency: 'EUR', jurisdiction: 'MT', ...body });
  return { operator, session: launched.body };
}

/** What the bet path leaves for a dice bet on the player's active pair: a round and a bet row. */
async function insertBet(operatorId: string, playerId: string, sessionToken: string, status: string) {
  const { rows } = await db.query(
    `UPDATE seed_pairs SET next_nonce = next_nonce + 1 WHERE operator_id = $1 AND player_id = $2 AND active
     RETURNING id, server_seed, server_seed_hash, client_seed, next_nonce - 1 AS nonce`,
    [operatorId, playerId],
  );
  const pair = rows[0];
  const nonce = Number(pair.nonce);
  const { roll } = rollDice(serverSeedOf(pair), pair.client_seed, nonce);
  const betId = randomUUID();
  const roundId = randomUUID();
  await db.query(
    `INSERT INTO rounds (id, operator_id, player_id, bet_id, seed_pair_id, game, game_version, config, server_seed_hash, client_seed, nonce, outcome)
     VALUES ($1, $2, $3, $4, $5, 'dice', 'dice-1', '{"houseEdge":1}', $6, $7, $8, $9)`,
    [roundId, operatorId, playerId, betId, pair.id, pair.server_seed_hash, pair.client_seed, nonce, { roll, win: roll < 50 }],
  );
  await db.query(
    `INSERT INTO bets (id, operator_id, player_id, session_token, round_id, idempotency_key, request_hash, currency, amount, game, params, status, snapshot)
     VALUES ($1, $2, $3, $4, $5, $6, 'hash', 'EUR', 100, 'dice', '{"target":50,"direction":"under"}', $7, '{}')`,
    [betId, operatorId, playerId, sessionToken, roundId, `bet-${betId}`, status],
  );
  return { betId, roundId, nonce, roll };
}

const seedPairs = async (operatorId: string) =>
  (await db.query('SELECT server_seed_hash, active, revealed_at, next_nonce FROM seed_pairs WHERE operator_id = $1 ORDER BY created_at', [operatorId])).rows;

test('rotation reveals the seed committed at launch and starts a new pair at nonce 0', async (t) => {
  const { operator, session } = await launch('alice', { clientSeed: 'alice-lucky-seed' });
  const token = session.sessionToken;
  const rounds = [
    await insertBet(operator.id, 'alice', token, 'lost'),
    await insertBet(operator.id, 'alice', token, 'won'),
    await insertBet(operator.id, 'alice', token, 'rejected'),
  ];
  const before = await operator.client(nodeUrl(1)).get(`/rounds/${rounds[0]!.roundId}`);
  t.is(before.body.fairness.serverSeed, null, 'hidden before rotation');

  const rotated = await operator.client(nodeUrl(1)).post(`/sessions/${token}/seeds/rotate`, { clientSeed: 'a fresh seed ~!' });
  t.is(rotated.status, 200);
  const { previous, current } = rotated.body;
  t.is(sha256(previous.serverSeed), session.fairness.serverSeedHash, 'the revealed seed hashes to the launch commitment');
  t.regex(previous.serverSeed, /^[0-9a-f]{64}$/);
  t.deepEqual(previous, { serverSeed: previous.serverSeed, serverSeedHash: session.fairness.serverSeedHash, clientSeed: 'alice-lucky-seed', nonce: 3 });
  t.deepEqual(current, { serverSeedHash: current.serverSeedHash, clientSeed: 'a fresh seed ~!', nonce: 0 });
  t.regex(current.serverSeedHash, /^[0-9a-f]{64}$/);
  t.not(current.serverSeedHash, previous.serverSeedHash);

  const verified = await operator.client(nodeUrl(0)).get(`/sessions/${token}`);
  t.deepEqual(verified.body.fairness, current, 'the session now shows the new commitment');

  for (const round of rounds) {
    const shown = await operator.client(nodeUrl(0)).get(`/rounds/${round.roundId}`);
    t.is(shown.body.fairness.serverSeed, previous.serverSeed, 'revealed after rotation');
    const recomputed = await verify({ game: 'dice', serverSeed: previous.serverSeed, clientSeed: shown.body.fairness.clientSeed, nonce: shown.body.fairness.nonce }, 1);
    t.is(recomputed.status, 200);
    t.like(recomputed.body, {
      game: 'dice',
      serverSeedHash: shown.body.fairness.serverSeedHash,
      clientSeed: 'alice-lucky-seed',
      nonce: round.nonce,
      outcome: { roll: shown.body.outcome.roll },
    });
    t.is(recomputed.body.outcome.roll, rollDice(previous.serverSeed, 'alice-lucky-seed', round.nonce).roll);
  }

  const pairs = await seedPairs(operator.id);
  t.is(pairs.length, 2);
  t.like(pairs[0], { active: false, server_seed_hash: previous.serverSeedHash });
  t.truthy(pairs[0].revealed_at);
  t.like(pairs[1], { active: true, revealed_at: null, server_seed_hash: current.serverSeedHash });
  t.is(Number(pairs[1].next_nonce), 0);

  const audit = await db.query("SELECT player_id, data FROM audit_log WHERE operator_id = $1 AND action = 'seeds.rotated'", [operator.id]);
  t.is(audit.rows.length, 1);
  t.is(audit.rows[0].player_id, 'alice');
  t.like(audit.rows[0].data, { previousServerSeedHash: previous.serverSeedHash, serverSeedHash: current.serverSeedHash });
  const { rows: secrets } = await db.query('SELECT id, server_seed FROM seed_pairs WHERE operator_id = $1', [operator.id]);
  for (const pair of secrets) t.false(JSON.stringify(audit.rows[0].data).includes(serverSeedOf(pair)), 'no server seed in the audit trail');
});

test('without a client seed, rotation picks a random one; a second rotation reveals the second pair', async (t) => {
  const { operator, session } = await launch('bob');
  const first = await operator.client(nodeUrl(0)).post(`/sessions/${session.sessionToken}/seeds/rotate`);
  t.is(first.status, 200);
  t.regex(first.body.current.clientSeed, /^[\x20-\x7e]{1,64}$/);
  t.not(first.body.current.clientSeed, session.fairness.clientSeed);
  t.is(first.body.previous.nonce, 0, 'no nonce was used');
  const second = await operator.client(nodeUrl(1)).post(`/sessions/${session.sessionToken}/seeds/rotate`, {});
  t.is(second.status, 200);
  t.is(sha256(second.body.previous.serverSeed), first.body.current.serverSeedHash);
  t.is(second.body.previous.clientSeed, first.body.current.clientSeed);
});

test('rotation is refused with 409 BETS_IN_PROGRESS while a bet of the player is unsettled, and allowed once it is', async (t) => {
  const { operator, session } = await launch('carol');
  const token = session.sessionToken;
  const { betId, roundId } = await insertBet(operator.id, 'carol', token, 'debiting');
  const pairsBefore = await seedPairs(operator.id);
  for (const status of ['debiting', 'crediting', 'credit_pending', 'rolling_back', 'parked', 'credit_parked']) {
    await db.query('UPDATE bets SET status = $2 WHERE id = $1', [betId, status]);
    const refused = await operator.client(nodeUrl(Number(status.length % 2))).post(`/sessions/${token}/seeds/rotate`, { clientSeed: 'x' });
    t.is(refused.status, 409, status);
    t.is(refused.body.code, 'BETS_IN_PROGRESS', status);
    t.false(JSON.stringify(refused.body).includes('serverSeed"'), status);
  }
  t.deepEqual(await seedPairs(operator.id), pairsBefore, 'nothing changed');
  t.is((await operator.client(nodeUrl(0)).get(`/rounds/${roundId}`)).body.fairness.serverSeed, null, 'the seed stays secret mid-round');

  await db.query("UPDATE bets SET status = 'lost' WHERE id = $1", [betId]);
  const allowed = await operator.client(nodeUrl(1)).post(`/sessions/${token}/seeds/rotate`, { clientSeed: 'x' });
  t.is(allowed.status, 200);
  t.is(allowed.body.previous.nonce, 1);
  t.is((await operator.client(nodeUrl(0)).get(`/rounds/${roundId}`)).body.fairness.serverSeed, allowed.body.previous.serverSeed);
});

test('a rotation waiting on a placement in progress sees the bet that placement commits, and is refused', async (t) => {
  const { operator, session } = await launch('hank');
  // Stands in for POST /bets: holds the seed pair's row lock, as placement does, until commit.
  const placement = await db.connect();
  try {
    await placement.query('BEGIN');
    const { rows } = await placement.query(
      "UPDATE seed_pairs SET next_nonce = next_nonce + 1 WHERE operator_id = $1 AND player_id = 'hank' AND active RETURNING id, server_seed_hash, client_seed",
      [operator.id],
    );
    const placementPid = (await placement.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const rotation = operator.client(nodeUrl(1)).post(`/sessions/${session.sessionToken}/seeds/rotate`);
    // Wait until the rotation is queued behind the placement's lock.
    for (let waited = 0; ; waited++) {
      const { rowCount } = await db.query('SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [placementPid]);
      if (rowCount) break;
      if (waited > 500) return t.fail('the rotation never waited for the lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const betId = randomUUID();
    const roundId = randomUUID();
    await placement.query(
      `INSERT INTO rounds (id, operator_id, player_id, bet_id, seed_pair_id, game, game_version, config, server_seed_hash, client_seed, nonce, outcome)
       VALUES ($1, $2, 'hank', $3, $4, 'dice', 'dice-1', '{"houseEdge":1}', $5, $6, 0, '{"roll":1,"win":true}')`,
      [roundId, operator.id, betId, rows[0].id, rows[0].server_seed_hash, rows[0].client_seed],
    );
    await placement.query(
      `INSERT INTO bets (id, operator_id, player_id, session_token, round_id, idempotency_key, request_hash, currency, amount, game, params, status, snapshot)
       VALUES ($1, $2, 'hank', $3, $4, 'k', 'hash', 'EUR', 100, 'dice', '{"target":50,"direction":"under"}', 'debiting', '{}')`,
      [betId, operator.id, session.sessionToken, roundId],
    );
    await placement.query('COMMIT');
    const refused = await rotation;
    t.is(refused.status, 409);
    t.is(refused.body.code, 'BETS_IN_PROGRESS');
    t.is((await operator.client(nodeUrl(0)).get(`/rounds/${roundId}`)).body.fairness.serverSeed, null);
  } finally {
    placement.release();
  }
});

test("another player's unsettled bet does not hold a rotation back", async (t) => {
  const { operator, session } = await launch('dana');
  const other = await operator.client(nodeUrl(0)).post('/sessions/launch', { playerId: 'eve', currency: 'EUR', jurisdiction: 'MT' });
  await insertBet(operator.id, 'eve', other.body.sessionToken, 'debiting');
  const rotated = await operator.client(nodeUrl(1)).post(`/sessions/${session.sessionToken}/seeds/rotate`);
  t.is(rotated.status, 200);
});

test('concurrent rotations on both nodes each reveal one pair of one unbroken chain', async (t) => {
  const { operator, session } = await launch('frank');
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, index) => operator.client(nodeUrl(index % 2)).post(`/sessions/${session.sessionToken}/seeds/rotate`)),
  );
  t.deepEqual(answers.map((answer) => answer.status), Array(12).fill(200));
  // Follow the chain from the launch commitment: each rotation revealed the pair the previous one started.
  const byRevealed = new Map(answers.map((answer) => [answer.body.previous.serverSeedHash, answer.body]));
  let hash = session.fairness.serverSeedHash;
  for (let step = 0; step < 12; step++) {
    const rotation = byRevealed.get(hash);
    if (!rotation) return t.fail(`no rotation revealed ${hash} at step ${step}`);
    t.is(sha256(rotation.previous.serverSeed), hash);
    hash = rotation.current.serverSeedHash;
  }
  const pairs = await seedPairs(operator.id);
  t.is(pairs.length, 13);
  t.is(pairs.filter((pair) => pair.active).length, 1);
  t.is(pairs.find((pair) => pair.active).server_seed_hash, hash);
});

test("rotation of another operator's or an unknown session is 404, of a revoked one 403; bad input is 400", async (t) => {
  const { operator, session } = await launch('gina');
  const stranger = await createOperator(cluster.nodes[0]!);
  const token = session.sessionToken;
  const pairsBefore = await seedPairs(operator.id);

  const foreign = await stranger.client(nodeUrl(1)).post(`/sessions/${token}/seeds/rotate`);
  t.is(foreign.status, 404);
  t.is(foreign.body.code, 'NOT_FOUND');
  t.is((await operator.client(nodeUrl(1)).post(`/sessions/${randomUUID()}/seeds/rotate`)).status, 404);
  for (const bad of ['nope', '123', `${token}0`]) {
    const answer = await operator.client(nodeUrl(0)).post(`/sessions/${bad}/seeds/rotate`);
    t.is(answer.status, 400, bad);
    t.is(answer.body.code, 'VALIDATION_FAILED', bad);
  }
  const badBodies: unknown[] = [
    { clientSeed: '' },
    { clientSeed: 'x'.repeat(65) },
    { clientSeed: 'line\nbreak' },
    { clientSeed: 'é' },
    { clientSeed: 42 },
    { clientSeed: null },
    { clientSeed: ['a'] },
    { clientSeed: 'ok', surprise: 1 },
    ['a'],
  ];
  for (const body of badBodies) {
    const answer = await operator.client(nodeUrl(0)).post(`/sessions/${token}/seeds/rotate`, body);
    t.is(answer.status, 400, JSON.stringify(body));
    t.is(answer.body.code, 'VALIDATION_FAILED', JSON.stringify(body));
  }
  const text = await operator.client(nodeUrl(0)).post(`/sessions/${token}/seeds/rotate`, 'clientSeed=x', { headers: { 'content-type': 'text/plain' } });
  t.is(text.status, 415);
  t.deepEqual(await seedPairs(operator.id), pairsBefore, 'nothing changed');

  await operator.client(nodeUrl(0)).post(`/sessions/${token}/revoke`);
  const revoked = await operator.client(nodeUrl(1)).post(`/sessions/${token}/seeds/rotate`);
  t.is(revoked.status, 403);
  t.is(revoked.body.code, 'SESSION_REVOKED');
  t.deepEqual(await seedPairs(operator.id), pairsBefore);
});

test('GET /fairness/verify needs no key and matches the published test vector', async (t) => {
  const answer = await verify({ game: 'dice', serverSeed: SEED_A, clientSeed: 'clientseed', nonce: 0 });
  t.is(answer.status, 200);
  t.deepEqual(answer.body, {
    game: 'dice',
    gameVersion: 'dice-1',
    serverSeedHash: SEED_A_HASH,
    clientSeed: 'clientseed',
    nonce: 0,
    config: { houseEdge: 1 },
    outcome: { roll: rollDice(SEED_A, 'clientseed', 0).roll },
  });
  const large = await verify({ game: 'dice', serverSeed: SEED_A, clientSeed: 'a b', nonce: Number.MAX_SAFE_INTEGER }, 1);
  t.is(large.status, 200);
  t.is(large.body.outcome.roll, rollDice(SEED_A, 'a b', Number.MAX_SAFE_INTEGER).roll);
});

test('GET /fairness/verify refuses every malformed query with 400', async (t) => {
  const good = { game: 'dice', serverSeed: SEED_A, clientSeed: 'clientseed', nonce: '0' };
  const cases: Record<string, string>[] = [
    ...Object.keys(good).map((field) => Object.fromEntries(Object.entries(good).filter(([key]) => key !== field))),
    { ...good, nonce: '-1' },
    { ...good, nonce: '1.5' },
    { ...good, nonce: String(2 ** 53) },
    { ...good, nonce: '1e3' },
    { ...good, nonce: '' },
    { ...good, nonce: ' 1' },
    { ...good, serverSeed: 'z'.repeat(64) },
    { ...good, serverSeed: SEED_A.slice(1) },
    { ...good, serverSeed: `${SEED_A}0` },
    { ...good, serverSeed: SEED_A.toUpperCase() },
    { ...good, clientSeed: '' },
    { ...good, clientSeed: 'x'.repeat(65) },
    { ...good, clientSeed: 'tab\there' },
    { ...good, game: 'slots' },
    { ...good, game: '' },
    { ...good, extra: '1' },
  ];
  for (const query of cases) {
    const answer = await verify(query);
    t.is(answer.status, 400, JSON.stringify(query));
    t.is(answer.body.code, 'VALIDATION_FAILED', JSON.stringify(query));
  }
  const repeated = await request('GET', `${nodeUrl(1)}/fairness/verify?game=dice&serverSeed=${SEED_A}&clientSeed=a&nonce=1&nonce=2`);
  t.is(repeated.status, 400);
});
