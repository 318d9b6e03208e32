import test from 'ava';
import { randomUUID } from 'node:crypto';
import { openDb, type Db } from '../src/shared/db.ts';
import { fairUint32 } from '../src/modules/fairness/fair-bytes.ts';
import { luckyDiceFace } from '../src/games/lucky-dice/game.ts';
import { diceRollFromUint32 } from '../src/games/dice/dice.ts';
import { startCluster, TEST_ADMIN_TOKEN, type TestCluster } from './support/cluster.ts';
import { adminClient, request } from './support/http.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch, ledger } from './support/bets.ts';
import { serverSeedOf } from './support/secrets.ts';

// Issue #20: games are plug-ins of a registry; each operator offers the games it enabled,
// with its own config, in force on every node at the next request.

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

const nodeA = () => cluster.nodes[0]!;
const nodeB = () => cluster.nodes[1]!;
const admin = () => adminClient(adminUrlOf(nodeA()), TEST_ADMIN_TOKEN);

async function player(playerId: string) {
  const operator = await createOperator(nodeA());
  const a = operator.client(nodeA().url);
  const b = operator.client(nodeB().url);
  const session = await launch(a, playerId);
  return { operator, a, b, session, playerId };
}

type Client = Awaited<ReturnType<typeof player>>['a'];

const bet = (client: Client, body: Record<string, unknown>) => client.post('/bets', body, { headers: { 'idempotency-key': randomUUID() } });

/** The uint32 of the player's next bet, from the server seed in the test's own database. */
async function nextUint32(operatorId: string, playerId: string): Promise<number> {
  const { rows } = await db.query('SELECT id, server_seed, client_seed, next_nonce FROM seed_pairs WHERE operator_id = $1 AND player_id = $2 AND active', [
    operatorId,
    playerId,
  ]);
  return fairUint32(serverSeedOf(rows[0]), rows[0].client_seed, Number(rows[0].next_nonce));
}

test('a new operator offers every game: GET /games lists each with its version, RTP, rules and params JSON Schema', async (t) => {
  const operator = await createOperator(nodeA());
  const answer = await operator.client().get('/games');
  t.is(answer.status, 200);
  t.deepEqual(
    answer.body.items.map((game: any) => [game.id, game.version, game.rtp, game.config]),
    [
      // (10000 − 100) / 10001: the roll 100.00 wins no bet (src/games/dice/game.ts)
      ['dice', 1, 9900 / 10001, { houseEdge: 1 }],
      ['lucky-dice', 1, 5 / 6, {}],
    ],
  );
  t.like(answer.body.items[0].paramsSchema, { type: 'object', required: ['target', 'direction'], additionalProperties: false });
  t.like(answer.body.items[1].paramsSchema, { type: 'object', properties: {}, additionalProperties: false });
  t.regex(answer.body.items[1].description, /6 pays amount × 5/);
  t.is((await request('GET', `${nodeA().url}/games`)).status, 401, 'it needs the operator key');
});

test('a lucky-dice bet settles through the wallet like dice; recall and verify show its face', async (t) => {
  for (let attempt = 0; attempt < 40; attempt++) {
    const p = await player(`lucky-${attempt}`);
    const face = luckyDiceFace(await nextUint32(p.operator.id, p.playerId));
    // One bet per player (a fresh seed pair each), until a 6 came; the losses are checked on the way.
    const placed = await bet(p.a, { sessionToken: p.session, amount: 1_000, game: 'lucky-dice', params: {} });
    t.is(placed.status, 201);
    const win = face === 6;
    t.like(placed.body, { game: 'lucky-dice', params: {}, status: win ? 'won' : 'lost', payout: win ? 5_000 : 0, outcome: { face, win } });
    const round = (await p.b.get(`/rounds/${placed.body.roundId}`)).body;
    t.like(round, { game: 'lucky-dice', gameVersion: 'lucky-dice-1', config: {}, outcome: { face, win } });
    const recalled = (await p.b.get(`/players/${p.playerId}/rounds`)).body.items[0];
    t.like(recalled, { game: 'lucky-dice', config: {}, outcome: { face, win }, bet: { params: {}, payout: win ? 5_000 : 0 } });
    const moves = (await ledger(cluster.wallet.url, p.playerId, p.operator.id)).map((item) => `${item.kind}:${item.amount}`);
    t.deepEqual(moves, win ? ['debit:1000', 'credit:5000'] : ['debit:1000']);
    const rotated = await p.a.post(`/sessions/${p.session}/seeds/rotate`, {});
    const query = new URLSearchParams({ game: 'lucky-dice', serverSeed: rotated.body.previous.serverSeed, clientSeed: round.fairness.clientSeed, nonce: '0' });
    const verified = await request('GET', `${nodeB().url}/fairness/verify?${query}`);
    t.like(verified.body, { game: 'lucky-dice', gameVersion: 'lucky-dice-1', outcome: { face, win } });
    if (win) return;
  }
  t.fail('no 6 in 40 bets (a chance of (5/6)^40 ≈ 0.07 %)');
});

test('an operator that disables a game gets 403 GAME_DISABLED for it on every node at the next request, and GET /games stops listing it', async (t) => {
  const p = await player('disabled');
  t.is((await bet(p.b, { sessionToken: p.session, amount: 100, game: 'lucky-dice', params: {} })).status, 201, 'node B has cached the operator');
  const patched = await admin().patch(`/admin/operators/${p.operator.id}`, { games: { enabled: ['dice'] } });
  t.is(patched.status, 200);
  t.deepEqual(patched.body.games.enabled, ['dice']);
  const refused = await bet(p.b, { sessionToken: p.session, amount: 100, game: 'lucky-dice', params: {} });
  t.is(refused.status, 403);
  t.is(refused.body.code, 'GAME_DISABLED');
  t.deepEqual((await p.b.get('/games')).body.items.map((game: any) => game.id), ['dice']);
  t.is((await bet(p.b, { sessionToken: p.session, amount: 100, game: 'dice', params: { target: 50, direction: 'under' } })).status, 201);
  t.is(Number((await db.query('SELECT count(*) FROM bets WHERE operator_id = $1', [p.operator.id])).rows[0].count), 2, 'the refused bet stored nothing');
  // Counted and audited like every refusal of a bet (SPEC §8), with its player.
  const audit = await db.query("SELECT player_id, data FROM audit_log WHERE operator_id = $1 AND action = 'bet.refused'", [p.operator.id]);
  t.deepEqual(audit.rows.map((row: any) => [row.player_id, row.data.code]), [['disabled', 'GAME_DISABLED']]);
});

test('an unknown game is 400 at body.game, bad params are 400 at each bad params field and only there', async (t) => {
  const p = await player('bad-input');
  const unknown = await bet(p.a, { sessionToken: p.session, amount: 100, game: 'roulette', params: {} });
  t.is(unknown.status, 400);
  t.is(unknown.body.code, 'VALIDATION_FAILED');
  t.deepEqual(unknown.body.errors.map((error: any) => error.path), ['body.game']);
  const extra = await bet(p.a, { sessionToken: p.session, amount: 100, game: 'lucky-dice', params: { face: 6 } });
  t.is(extra.status, 400);
  t.deepEqual(extra.body.errors.map((error: any) => error.path), ['body.params.face']);
  const badDice = await bet(p.a, { sessionToken: p.session, amount: 100, game: 'dice', params: { target: 'x', direction: 'sideways' } });
  t.deepEqual(badDice.body.errors.map((error: any) => error.path).sort(), ['body.params.direction', 'body.params.target']);
  t.is(Number((await db.query('SELECT count(*) FROM bets WHERE operator_id = $1', [p.operator.id])).rows[0].count), 0);
});

test("an operator's dice house edge sets the payout, is stored on the round and shown in recall; a config out of bounds is 400 and changes nothing", async (t) => {
  const p = await player('edge');
  for (const [games, path] of [
    [{ config: { dice: { houseEdge: 5.5 } } }, 'body.games.config.dice.houseEdge'],
    [{ config: { dice: { houseEdge: 0.25 } } }, 'body.games.config.dice.houseEdge'],
    [{ config: { dice: { houseEdge: 1, rake: 1 } } }, 'body.games.config.dice.rake'],
    [{ config: { 'lucky-dice': { multiplier: 6 } } }, 'body.games.config.lucky-dice.multiplier'],
    [{ config: { roulette: {} } }, 'body.games.config.roulette'],
    [{ enabled: ['dice', 'roulette'] }, 'body.games.enabled.1'],
  ] as const) {
    const refused = await admin().patch(`/admin/operators/${p.operator.id}`, { games });
    t.is(refused.status, 400, JSON.stringify(games));
    t.deepEqual(refused.body.errors.map((error: any) => error.path), [path], JSON.stringify(games));
  }
  t.deepEqual((await admin().get(`/admin/operators/${p.operator.id}`)).body.games, {
    enabled: ['dice', 'lucky-dice'],
    config: { dice: { houseEdge: 1 }, 'lucky-dice': {} },
  });

  const patched = await admin().patch(`/admin/operators/${p.operator.id}`, { games: { config: { dice: { houseEdge: 2.5 } } } });
  t.is(patched.status, 200);
  t.deepEqual(patched.body.games, { enabled: ['dice', 'lucky-dice'], config: { dice: { houseEdge: 2.5 }, 'lucky-dice': {} } });
  // A bet that wins, at a chance the 2.5 % edge allows (at most 97.5).
  const roll = diceRollFromUint32(await nextUint32(p.operator.id, p.playerId)).roll;
  const params = roll < 90 ? { target: 90, direction: 'under' } : { target: 10, direction: 'over' };
  const placed = await bet(p.b, { sessionToken: p.session, amount: 10_000, game: 'dice', params });
  t.is(placed.status, 201);
  // floor(10000 × (10000 − 250) / winChance in hundredths)
  const chance = params.direction === 'under' ? params.target * 100 : (100 - params.target) * 100;
  t.like(placed.body, { status: 'won', payout: Math.floor((10_000 * 9_750) / chance) });
  t.like((await p.b.get(`/rounds/${placed.body.roundId}`)).body, { config: { houseEdge: 2.5 } });

  // The next change is in force for the next round only: the played one keeps its config.
  t.is((await admin().patch(`/admin/operators/${p.operator.id}`, { games: { config: { dice: { houseEdge: 5 } } } })).status, 200);
  const tooLikely = await bet(p.b, { sessionToken: p.session, amount: 100, game: 'dice', params: { target: 96, direction: 'under' } });
  t.is(tooLikely.status, 400, 'at a 5 % edge a 96 % chance would pay back less than the stake');
  t.deepEqual(tooLikely.body.errors.map((error: any) => error.path), ['body.params.target']);
  const recalled = (await p.a.get(`/players/${p.playerId}/rounds`)).body.items;
  t.deepEqual(recalled.map((round: any) => round.config), [{ houseEdge: 2.5 }]);

  // After the change the round still replays: verify with the round's own config, params and amount.
  const rotated = await p.a.post(`/sessions/${p.session}/seeds/rotate`, {});
  const [round] = recalled;
  const query = new URLSearchParams({
    game: 'dice',
    serverSeed: rotated.body.previous.serverSeed,
    clientSeed: round.fairness.clientSeed,
    nonce: String(round.fairness.nonce),
    config: JSON.stringify(round.config),
    params: JSON.stringify(round.bet.params),
    amount: String(round.bet.amount),
  });
  const verified = await request('GET', `${nodeB().url}/fairness/verify?${query}`);
  t.is(verified.status, 200);
  t.like(verified.body, { config: { houseEdge: 2.5 }, outcome: round.outcome, payout: placed.body.payout });
});
