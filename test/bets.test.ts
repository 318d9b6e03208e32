import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch, ledger, paramsFor, placeBet } from './support/bets.ts';

let cluster: TestCluster;
let db: Db;

test.before(async () => {
  cluster = await startCluster({ nodes: 2, nodeEnv: { WALLET_TIMEOUT_MS: '5000', BET_RETRY_BASE_MS: '30', SWEEP_INTERVAL_MS: '500' } });
  db = await openDb(cluster.database.url, 4);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

const nodeA = () => cluster.nodes[0]!.url;
const nodeB = () => cluster.nodes[1]!.url;
const count = async (sql: string, params: unknown[]) => Number((await db.query(sql, params)).rows[0].count);

async function player(playerId: string) {
  const operator = await createOperator(cluster.nodes[0]!);
  const a = operator.client(nodeA());
  const b = operator.client(nodeB());
  const session = await launch(a, playerId);
  return { operator, a, b, session, playerId };
}

test('a bet is readable from any node with its state history, round and wallet transactions', async (t) => {
  const p = await player('reader');
  const placed = await placeBet(p.a, p.session, 2_500, await paramsFor(db, p.operator.id, p.playerId, 'win'));
  t.is(placed.status, 201);
  const bet = (await p.b.get(`/bets/${placed.body.id}`)).body;
  t.deepEqual(bet, placed.body);
  t.like(bet, { playerId: 'reader', amount: 2_500, currency: 'EUR', game: 'dice', status: 'won', fairness: { nonce: 0 } });
  t.is(bet.payout, Math.floor((2_500 * 9_900) / (bet.params.direction === 'under' ? bet.params.target * 100 : (100 - bet.params.target) * 100)));
  const round = await p.b.get(`/rounds/${bet.roundId}`);
  t.like(round.body, { id: bet.roundId, betId: bet.id, game: 'dice', gameVersion: 'dice-1', config: { houseEdge: 1 }, outcome: bet.outcome });
  t.is(round.body.fairness.serverSeed, null, 'the seed stays secret until rotation');
  const transactions = await p.a.get(`/transactions?roundId=${bet.roundId}`);
  t.deepEqual(transactions.body.items.map((tx: { kind: string; status: string }) => `${tx.kind}:${tx.status}`).sort(), ['credit:applied', 'debit:applied']);
  const audit = await p.a.get(`/audit?playerId=reader`);
  const actions = audit.body.items.map((entry: { action: string }) => entry.action);
  for (const action of ['bet.placed', 'wallet.debit', 'wallet.credit', 'bet.settled']) t.true(actions.includes(action), action);
  const events = await db.query('SELECT type, data FROM events WHERE bet_id = $1 ORDER BY seq', [bet.id]);
  t.deepEqual(events.rows.map((row) => row.type), ['round.created', 'bet.placed', 'wallet.debited', 'wallet.credited', 'bet.won']);
  for (const row of events.rows) t.like(row.data, { betId: bet.id, playerId: 'reader' });
});

test('a repeated Idempotency-Key on another node returns the first bet; another body is 422', async (t) => {
  const p = await player('repeater');
  const params = await paramsFor(db, p.operator.id, p.playerId, 'lose');
  const first = await placeBet(p.a, p.session, 1_000, params, 'bet-key-1');
  const again = await placeBet(p.b, p.session, 1_000, params, 'bet-key-1');
  t.is(first.status, 201);
  t.is(again.status, 201);
  t.deepEqual(again.body, first.body);
  const reused = await placeBet(p.b, p.session, 2_000, params, 'bet-key-1');
  t.is(reused.status, 422);
  t.is(reused.body.code, 'IDEMPOTENCY_KEY_REUSED');
  t.is(await count('SELECT count(*) FROM bets WHERE operator_id = $1', [p.operator.id]), 1);
});

test('20 concurrent identical requests on two nodes make one bet and one debit', async (t) => {
  const p = await player('stampede');
  const params = { target: 50, direction: 'under' };
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => placeBet(i % 2 ? p.a : p.b, p.session, 1_000, params, 'same-key')),
  );
  t.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([201]));
  t.is(new Set(answers.map((answer) => answer.body.id)).size, 1);
  t.is(await count('SELECT count(*) FROM bets WHERE operator_id = $1', [p.operator.id]), 1);
  const items = await ledger(cluster.wallet.url, 'stampede');
  t.is(items.filter((item) => item.kind === 'debit').length, 1);
});

test('one Idempotency-Key raced by two players makes one bet; the other is 422 and keeps its nonce', async (t) => {
  const p = await player('key-racer-1');
  const otherSession = await launch(p.b, 'key-racer-2');
  const params = { target: 50, direction: 'under' };
  for (let round = 0; round < 5; round++) {
    const key = `raced-key-${round}`;
    const answers = await Promise.all([placeBet(p.a, p.session, 1_000, params, key), placeBet(p.b, otherSession, 1_000, params, key)]);
    t.deepEqual(answers.map((answer) => answer.status).sort(), [201, 422], `round ${round}`);
  }
  t.is(await count('SELECT count(*) FROM bets WHERE operator_id = $1', [p.operator.id]), 5);
  // Every bet drew the next nonce of its player: a refused race left no gap behind.
  const rounds = await db.query('SELECT player_id, nonce FROM rounds WHERE operator_id = $1 ORDER BY player_id, nonce', [p.operator.id]);
  const byPlayer = new Map<string, number[]>();
  for (const row of rounds.rows) byPlayer.set(row.player_id, [...(byPlayer.get(row.player_id) ?? []), Number(row.nonce)]);
  for (const [playerId, nonces] of byPlayer) t.deepEqual(nonces, nonces.map((_, i) => i), playerId);
  const next = await db.query('SELECT player_id, next_nonce FROM seed_pairs WHERE operator_id = $1 AND active', [p.operator.id]);
  for (const row of next.rows) t.is(Number(row.next_nonce), byPlayer.get(row.player_id)?.length ?? 0, row.player_id);
});

test('concurrent bets of one player on two nodes never reuse a nonce', async (t) => {
  const p = await player('racer');
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) => placeBet(i % 2 ? p.a : p.b, p.session, 100, { target: 50, direction: 'over' })),
  );
  t.true(answers.every((answer) => answer.status === 201));
  const nonces = answers.map((answer) => answer.body.fairness.nonce).sort((x, y) => x - y);
  t.deepEqual(nonces, Array.from({ length: 30 }, (_, i) => i));
  const rounds = await db.query('SELECT nonce FROM rounds WHERE operator_id = $1 ORDER BY nonce', [p.operator.id]);
  t.deepEqual(rounds.rows.map((row) => Number(row.nonce)), nonces);
});

test('many bets settling at once on one node each keep their own history, events in order and money in the daily totals', async (t) => {
  // Settlements that become ready together are written by one statement (transition-writer.ts):
  // 30 bets each of three players on one node put several bets of one player in a batch.
  const operator = await createOperator(cluster.nodes[0]!);
  const a = operator.client(nodeA());
  const players = ['batch-1', 'batch-2', 'batch-3'];
  const sessions = await Promise.all(players.map((playerId) => launch(a, playerId)));
  const answers = await Promise.all(
    Array.from({ length: 90 }, (_, i) => placeBet(a, sessions[i % 3]!, 100 + i, { target: 50, direction: 'over' })),
  );
  t.true(answers.every((answer) => answer.status === 201));
  const bets = answers.map((answer) => answer.body);
  t.true(bets.some((bet) => bet.status === 'won') && bets.some((bet) => bet.status === 'lost'));

  const expectedEvents: Record<string, string[]> = {
    won: ['round.created', 'bet.placed', 'wallet.debited', 'wallet.credited', 'bet.won'],
    lost: ['round.created', 'bet.placed', 'wallet.debited', 'bet.lost'],
  };
  const events = await db.query<{ bet_id: string; type: string }>('SELECT bet_id, type FROM events WHERE operator_id = $1 ORDER BY seq', [operator.id]);
  for (const bet of bets) {
    t.deepEqual(events.rows.filter((row) => row.bet_id === bet.id).map((row) => row.type), expectedEvents[bet.status], `events of ${bet.id}`);
    const states = bet.history.map((entry: { state: string }) => entry.state);
    t.deepEqual(states, bet.status === 'won' ? ['debiting', 'crediting', 'won'] : ['debiting', 'lost'], `history of ${bet.id}`);
  }
  for (const [index, playerId] of players.entries()) {
    const mine = bets.filter((_, i) => i % 3 === index);
    const { rows } = await db.query('SELECT staked, returned FROM player_daily_totals WHERE operator_id = $1 AND player_id = $2', [operator.id, playerId]);
    t.is(Number(rows[0].staked), mine.reduce((sum, bet) => sum + bet.amount, 0), `${playerId} staked`);
    t.is(Number(rows[0].returned), mine.reduce((sum, bet) => sum + bet.payout * (bet.status === 'won' ? 1 : 0), 0), `${playerId} returned`);
    const credits = (await ledger(cluster.wallet.url, playerId)).filter((item) => item.kind === 'credit');
    t.is(credits.length, mine.filter((bet) => bet.status === 'won').length, `${playerId} credits`);
  }
});

test('a repeated Idempotency-Key among concurrent placements on one node costs the other bets nothing', async (t) => {
  // Concurrent placements on one node share insert statements; a duplicate key fails its
  // statement as a whole, and the batcher then writes each bet of it alone.
  const operator = await createOperator(cluster.nodes[0]!);
  const a = operator.client(nodeA());
  const players = Array.from({ length: 12 }, (_, i) => `dup-batch-${i}`);
  const sessions = await Promise.all(players.map((playerId) => launch(a, playerId)));
  const params = { target: 50, direction: 'over' };
  const answers = await Promise.all([
    ...sessions.map((session, i) => placeBet(a, session, 100, params, `own-key-${i}`)),
    ...Array.from({ length: 6 }, () => placeBet(a, sessions[0]!, 100, params, 'own-key-0')),
  ]);
  t.true(answers.every((answer) => answer.status === 201), JSON.stringify(answers.map((answer) => answer.status)));
  const ids = new Set(answers.map((answer) => answer.body.id));
  t.is(ids.size, players.length, 'one bet per key');
  t.true(answers.slice(players.length).every((answer) => answer.body.id === answers[0]!.body.id), 'the repeats answer with the first bet');
  t.is(await count('SELECT count(*) FROM bets WHERE operator_id = $1', [operator.id]), players.length);
  for (const playerId of players) {
    const debits = (await ledger(cluster.wallet.url, playerId)).filter((item) => item.kind === 'debit');
    t.is(debits.length, 1, `${playerId} was debited once`);
  }
});

test('a daily loss limit holds under concurrent bets on two nodes', async (t) => {
  const p = await player('chaser');
  await p.a.put('/limits', { currencies: { EUR: { dailyLossLimit: 5_000 } } });
  // target 0.01 "under" loses unless the roll is exactly 0.00 (1 in 10,001).
  const answers = await Promise.all(
    Array.from({ length: 16 }, (_, i) => placeBet(i % 2 ? p.a : p.b, p.session, 1_000, { target: 0.01, direction: 'under' })),
  );
  const accepted = answers.filter((answer) => answer.status === 201);
  const refused = answers.filter((answer) => answer.status === 403);
  t.is(accepted.length + refused.length, 16);
  t.true(refused.every((answer) => answer.body.code === 'DAILY_LOSS_LIMIT'));
  const totals = await db.query('SELECT staked, returned FROM player_daily_totals WHERE operator_id = $1', [p.operator.id]);
  t.true(totals.rows[0].staked - totals.rows[0].returned <= 5_000, 'the net loss never passed the limit');
  t.is(accepted.length, 5);
  const debits = (await ledger(cluster.wallet.url, 'chaser')).filter((item) => item.kind === 'debit');
  t.is(debits.length, accepted.length, 'refused bets never reached the wallet');
  t.is(await count("SELECT count(*) FROM audit_log WHERE operator_id = $1 AND action = 'bet.refused'", [p.operator.id]), refused.length);
});

test('a daily win limit stops play once the net win reached it', async (t) => {
  const p = await player('winner');
  await p.a.put('/limits', { currencies: { EUR: { dailyWinLimit: 10 } } });
  const win = await placeBet(p.a, p.session, 1_000, await paramsFor(db, p.operator.id, p.playerId, 'win'));
  t.is(win.body.status, 'won');
  const next = await placeBet(p.b, p.session, 1_000, { target: 50, direction: 'under' });
  t.is(next.status, 403);
  t.is(next.body.code, 'DAILY_WIN_LIMIT');
});

test('max bet and blocked jurisdictions are refused with 403, audited, and never reach the wallet', async (t) => {
  const p = await player('highroller');
  await p.a.put('/limits', { currencies: { EUR: { maxBet: 500 } } });
  const tooBig = await placeBet(p.b, p.session, 501, { target: 50, direction: 'under' });
  t.is(tooBig.status, 403);
  t.is(tooBig.body.code, 'MAX_BET_EXCEEDED');
  t.is((await placeBet(p.b, p.session, 500, { target: 50, direction: 'under' })).status, 201);
  await p.a.put('/limits', { blockedJurisdictions: ['MT'] });
  const blocked = await placeBet(p.b, p.session, 100, { target: 50, direction: 'under' });
  t.is(blocked.status, 403);
  t.is(blocked.body.code, 'JURISDICTION_BLOCKED');
  const debits = (await ledger(cluster.wallet.url, 'highroller')).filter((item) => item.kind === 'debit');
  t.is(debits.length, 1);
  const metrics = await (await fetch(`${adminUrlOf(cluster.nodes[1]!)}/metrics`)).text();
  t.regex(metrics, /rgs_bets_refused_total\{code="MAX_BET_EXCEEDED"\} [1-9]/);
});

test('bets on a revoked or expired session are refused', async (t) => {
  const p = await player('leaver');
  await p.a.post(`/sessions/${p.session}/revoke`);
  const revoked = await placeBet(p.b, p.session, 100, { target: 50, direction: 'under' });
  t.is(revoked.status, 403);
  t.is(revoked.body.code, 'SESSION_REVOKED');
  const fresh = await launch(p.a, 'leaver');
  await db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token = $1", [fresh]);
  const expired = await placeBet(p.b, fresh, 100, { target: 50, direction: 'under' });
  t.is(expired.status, 403);
  t.is(expired.body.code, 'SESSION_EXPIRED');
  const unknown = await placeBet(p.b, '00000000-0000-4000-8000-000000000001', 100, { target: 50, direction: 'under' });
  t.is(unknown.status, 404);
  t.is(await count('SELECT count(*) FROM bets WHERE operator_id = $1', [p.operator.id]), 0);
});

test('malformed bets are 400 problem+json and change nothing', async (t) => {
  const p = await player('fuzzy');
  const good = { sessionToken: p.session, amount: 100, game: 'dice', params: { target: 50, direction: 'under' } };
  const bodies: unknown[] = [
    { ...good, amount: 0 },
    { ...good, amount: -1 },
    { ...good, amount: 1.5 },
    { ...good, amount: 2 ** 53 },
    { ...good, amount: '100' },
    { ...good, amount: null },
    { ...good, game: 'roulette' },
    { ...good, params: { target: 50.123, direction: 'under' } },
    { ...good, params: { target: 98.01, direction: 'under' } },
    { ...good, params: { target: 0, direction: 'under' } },
    { ...good, params: { target: 50, direction: 'sideways' } },
    { ...good, params: { target: 50, direction: 'under', extra: 1 } },
    { ...good, params: [] },
    { ...good, sessionToken: 'nope' },
    { ...good, surprise: true },
    { ...good, amount: Number.MAX_SAFE_INTEGER, params: { target: 0.01, direction: 'under' } },
  ];
  for (const body of bodies) {
    const answer = await p.a.post('/bets', body, { headers: { 'idempotency-key': `k-${JSON.stringify(body).length}-${Math.random()}` } });
    t.is(answer.status, 400, JSON.stringify(body));
    t.true(['VALIDATION_FAILED', 'PAYOUT_TOO_LARGE'].includes(answer.body.code), JSON.stringify(answer.body));
  }
  const noKey = await p.a.post('/bets', good);
  t.is(noKey.status, 400);
  t.is(noKey.body.errors[0].path, 'headers.idempotency-key');
  const longKey = await p.a.post('/bets', good, { headers: { 'idempotency-key': 'k'.repeat(256) } });
  t.is(longKey.status, 400);
  t.is(await count('SELECT count(*) FROM bets WHERE operator_id = $1', [p.operator.id]), 0);
  t.is(await count('SELECT next_nonce AS count FROM seed_pairs WHERE operator_id = $1', [p.operator.id]), 0);
});

test('GET /bets pages through every bet, newest first, with filters', async (t) => {
  const p = await player('lister');
  const placed = [];
  for (let i = 0; i < 7; i++) placed.push((await placeBet(i % 2 ? p.a : p.b, p.session, 100 + i, { target: 50, direction: 'under' })).body);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await (seen.length % 2 ? p.a : p.b).get(
      `/bets?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
    );
    seen.push(...page.body.items.map((item) => item.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  t.deepEqual(seen, placed.map((bet) => bet.id).reverse());
  const won = await p.a.get(`/bets?status=won&playerId=lister`);
  t.true(won.body.items.every((bet: { status: string }) => bet.status === 'won'));
  t.is(won.body.items.length, placed.filter((bet) => bet.status === 'won').length);
  const bad = await p.a.get('/bets?cursor=garbage!');
  t.is(bad.status, 400);
  const other = await createOperator(cluster.nodes[0]!);
  t.deepEqual((await other.client().get('/bets')).body.items, []);
  t.is((await other.client().get(`/bets/${placed[0].id}`)).status, 404);
});
