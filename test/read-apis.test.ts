import { randomUUID } from 'node:crypto';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { rollDice, settleDice } from '../src/games/dice/dice.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { serverSeedOf } from './support/secrets.ts';

// SPEC §3 read APIs: GET /rounds/:id, game recall, reconciliation (/transactions) and the
// audit trail. Rounds, bets and wallet transactions are written by the bet path; here they
// are inserted with SQL, in the formats that path writes, at chosen instants — several
// sharing one microsecond and several within one millisecond — so keyset pages are
// checked where they break most easily.

let cluster: TestCluster;
let db: Db;
let alpha: Awaited<ReturnType<typeof createOperator>>;
let beta: Awaited<ReturnType<typeof createOperator>>;
const sessions = new Map<string, string>();

const nodeUrl = (index: number) => cluster.nodes[index]!.url;

// Instant k: groups of four per millisecond; in each, two share one microsecond and two
// differ from them by a few microseconds only.
const BASE_MS = Date.parse('2031-03-01T12:00:00.000Z');
function instant(k: number): string {
  const micro = [0, 0, 7, 993][k % 4]!;
  return new Date(BASE_MS + Math.floor(k / 4)).toISOString().replace('Z', `${String(micro).padStart(3, '0')}Z`);
}

interface PlayedBet {
  betId: string;
  roundId: string;
}

/** What the bet path leaves behind for one settled dice bet: round, bet, wallet transactions. */
async function insertPlayedBet(operatorId: string, playerId: string, at: { round: string; debit: string; credit: string }): Promise<PlayedBet> {
  const { rows } = await db.query(
    `UPDATE seed_pairs SET next_nonce = next_nonce + 1 WHERE operator_id = $1 AND player_id = $2 AND active
     RETURNING id, server_seed, server_seed_hash, client_seed, next_nonce - 1 AS nonce`,
    [operatorId, playerId],
  );
  const pair = rows[0];
  const nonce = Number(pair.nonce);
  const params = { target: 50.5, direction: nonce % 2 ? 'over' : 'under' } as const;
  const amount = 100 + nonce;
  const roll = rollDice(serverSeedOf(pair), pair.client_seed, nonce);
  const { win, payout } = settleDice({ amount, params, roll });
  const betId = randomUUID();
  const roundId = randomUUID();
  await db.query(
    `INSERT INTO rounds (id, operator_id, player_id, bet_id, seed_pair_id, game, game_version, config, server_seed_hash, client_seed, nonce, outcome, created_at)
     VALUES ($1, $2, $3, $4, $5, 'dice', 'dice-1', '{"houseEdge":1}', $6, $7, $8, $9, $10)`,
    [roundId, operatorId, playerId, betId, pair.id, pair.server_seed_hash, pair.client_seed, nonce, { roll: roll.roll, win }, at.round],
  );
  await db.query(
    `INSERT INTO bets (id, operator_id, player_id, session_token, round_id, idempotency_key, request_hash, currency, amount, payout,
                       game, params, status, snapshot, created_at, settled_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'hash', 'EUR', $7, $8, 'dice', $9, $10, '{}', $11, $11)`,
    [betId, operatorId, playerId, sessions.get(`${operatorId}/${playerId}`), roundId, `bet-${betId}`, amount, payout, params, win ? 'won' : 'lost', at.round],
  );
  const insertTransaction = (kind: string, transactionAmount: number, createdAt: string) =>
    db.query(
      `INSERT INTO wallet_transactions (id, operator_id, bet_id, round_id, player_id, kind, debit_transaction_id, currency, amount, status, attempts, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'EUR', $8, 'applied', 1, $9, $9)`,
      [`${betId}:${kind}`, operatorId, betId, roundId, playerId, kind, kind === 'debit' ? null : `${betId}:debit`, transactionAmount, createdAt],
    );
  await insertTransaction('debit', amount, at.debit);
  if (win) await insertTransaction('credit', payout, at.credit);
  else await insertTransaction('rollback', amount, at.credit); // any kind will do: this is about paging
  return { betId, roundId };
}

async function launch(operator: typeof alpha, playerId: string) {
  const launched = await operator.client().post('/sessions/launch', { playerId, currency: 'EUR', jurisdiction: 'MT' });
  sessions.set(`${operator.id}/${playerId}`, launched.body.sessionToken);
  return launched.body;
}

const played: { alice: PlayedBet[]; bob: PlayedBet[] } = { alice: [], bob: [] };

test.before(async () => {
  cluster = await startCluster({ nodes: 2 });
  db = await openDb(cluster.database.url, 4);
  alpha = await createOperator(cluster.nodes[0]!);
  beta = await createOperator(cluster.nodes[0]!);
  await launch(alpha, 'alice');
  await launch(alpha, 'bob');
  await launch(alpha, 'carol'); // launched, never played
  await launch(beta, 'alice'); // another operator's "alice": the same id, someone else
  let k = 0;
  for (let index = 0; index < 18; index++) {
    const player = index % 3 === 2 ? 'bob' : 'alice';
    // Round instants reuse the tie pattern; transaction instants step through it too.
    played[player].push(await insertPlayedBet(alpha.id, player, { round: instant(index), debit: instant(k++), credit: instant(k++) }));
  }
  await insertPlayedBet(beta.id, 'alice', { round: instant(0), debit: instant(0), credit: instant(1) });
  // More audit rows to page through: each verify is audited (session.verified).
  const token = sessions.get(`${alpha.id}/alice`)!;
  for (let index = 0; index < 7; index++) await alpha.client(nodeUrl(index % 2)).get(`/sessions/${token}`);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

/** Follows nextCursor to the end, alternating nodes; returns every item in page order. */
async function walk(operator: typeof alpha, path: string, limit: number) {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const url: string = `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await operator.client(nodeUrl(pages % 2)).get(url);
    if (page.status !== 200) throw new Error(`${url}: ${page.status} ${JSON.stringify(page.body)}`);
    if (page.body.items.length > limit) throw new Error(`${url}: more than ${limit} items`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor);
  return { items, pages };
}

const ids = (items: { id: string }[]) => items.map((item) => item.id);

test('a round shows its game, config, outcome and fairness, the server seed hidden until rotation', async (t) => {
  const { roundId, betId } = played.alice[0]!;
  const stored = (await db.query('SELECT r.*, sp.server_seed FROM rounds r JOIN seed_pairs sp ON sp.id = r.seed_pair_id WHERE r.id = $1', [roundId])).rows[0];
  const answer = await alpha.client(nodeUrl(1)).get(`/rounds/${roundId}`);
  t.is(answer.status, 200);
  t.deepEqual(answer.body, {
    id: roundId,
    betId,
    playerId: 'alice',
    game: 'dice',
    gameVersion: 'dice-1',
    config: { houseEdge: 1 },
    outcome: stored.outcome,
    fairness: { serverSeedHash: stored.server_seed_hash, clientSeed: stored.client_seed, nonce: 0, serverSeed: null },
    createdAt: stored.created_at.toISOString(),
  });
  const serverSeed = serverSeedOf({ id: stored.seed_pair_id, server_seed: stored.server_seed });
  t.is(answer.body.outcome.roll, rollDice(serverSeed, stored.client_seed, 0).roll);
  t.false(JSON.stringify(answer.body).includes(serverSeed), 'the secret seed appears nowhere');
});

test("a round is 404 for an unknown id and for another operator's round, 400 for a malformed id", async (t) => {
  const { roundId } = played.alice[0]!;
  const other = await beta.client(nodeUrl(0)).get(`/rounds/${roundId}`);
  t.is(other.status, 404);
  t.is(other.body.code, 'NOT_FOUND');
  t.false(JSON.stringify(other.body).includes('alice'));
  t.is((await alpha.client(nodeUrl(1)).get(`/rounds/${randomUUID()}`)).status, 404);
  for (const bad of ['nope', '123', `${roundId}x`, roundId.toUpperCase().replace(/-/g, ''), '%00']) {
    const answer = await alpha.client(nodeUrl(0)).get(`/rounds/${bad}`);
    t.is(answer.status, 400, bad);
    t.is(answer.body.code, 'VALIDATION_FAILED', bad);
  }
});

test('game recall lists the last 10 rounds newest first, each with its bet, enough to replay it', async (t) => {
  const answer = await alpha.client(nodeUrl(0)).get('/players/alice/rounds');
  t.is(answer.status, 200);
  const expected = await db.query(
    `SELECT r.id, r.nonce, r.outcome, sp.id AS seed_pair_id, sp.server_seed, r.client_seed, b.id AS bet_id, b.amount, b.params, b.status, b.payout
       FROM rounds r JOIN bets b ON b.id = r.bet_id JOIN seed_pairs sp ON sp.id = r.seed_pair_id
      WHERE r.operator_id = $1 AND r.player_id = 'alice' ORDER BY r.created_at DESC, r.id DESC LIMIT 10`,
    [alpha.id],
  );
  t.deepEqual(ids(answer.body.items), expected.rows.map((row) => row.id));
  t.truthy(answer.body.nextCursor, 'alice has 12 rounds');
  for (const [index, item] of answer.body.items.entries()) {
    const row = expected.rows[index];
    t.deepEqual(item.bet, { id: row.bet_id, amount: Number(row.amount), currency: 'EUR', params: row.params, status: row.status, payout: Number(row.payout) });
    t.is(item.fairness.serverSeed, null);
    // Replay: the roll from the seeds, and the settlement from the roll and the bet.
    const roll = rollDice(serverSeedOf({ id: row.seed_pair_id, server_seed: row.server_seed }), item.fairness.clientSeed, item.fairness.nonce);
    t.is(item.outcome.roll, roll.roll);
    const settled = settleDice({ amount: item.bet.amount, params: item.bet.params, roll: item.outcome.roll, config: item.config });
    t.is(settled.win, item.outcome.win);
    t.is(settled.payout, item.bet.payout);
    t.is(item.bet.status, settled.win ? 'won' : 'lost');
  }
});

test('game recall pages through every round once, in order, across both nodes', async (t) => {
  const { items } = await walk(alpha, '/players/alice/rounds', 3);
  const expected = await db.query("SELECT id FROM rounds WHERE operator_id = $1 AND player_id = 'alice' ORDER BY created_at DESC, id DESC", [alpha.id]);
  t.is(items.length, 12);
  t.deepEqual(ids(items), expected.rows.map((row) => row.id));
  t.deepEqual([...ids(items)].sort(), played.alice.map((bet) => bet.roundId).sort());
});

test('game recall of a player never launched is 404; of a player without rounds, empty', async (t) => {
  const unknown = await alpha.client(nodeUrl(1)).get('/players/zed/rounds');
  t.is(unknown.status, 404);
  t.is(unknown.body.code, 'NOT_FOUND');
  t.deepEqual((await alpha.client(nodeUrl(0)).get('/players/carol/rounds')).body, { items: [], nextCursor: null });
  // beta's alice is another player: only beta's one round.
  const betaAlice = await beta.client(nodeUrl(1)).get('/players/alice/rounds');
  t.is(betaAlice.body.items.length, 1);
  t.false(ids(betaAlice.body.items).some((id: string) => played.alice.some((bet) => bet.roundId === id)));
  t.is((await beta.client(nodeUrl(0)).get('/players/bob/rounds')).status, 404, "another operator's player is unknown");
});

test('game recall refuses a bad limit, an unknown parameter or a bad player id', async (t) => {
  for (const query of ['limit=0', 'limit=101', 'limit=1.5', 'limit=abc', 'limit=', 'limit=1&limit=2', 'status=won']) {
    const answer = await alpha.client(nodeUrl(0)).get(`/players/alice/rounds?${query}`);
    t.is(answer.status, 400, query);
    t.is(answer.body.code, 'VALIDATION_FAILED', query);
  }
  t.is((await alpha.client(nodeUrl(0)).get('/players/alice/rounds?limit=100')).body.items.length, 12);
  t.is((await alpha.client(nodeUrl(0)).get(`/players/${'x'.repeat(129)}/rounds`)).status, 400);
  t.is((await alpha.client(nodeUrl(0)).get('/players/%20alice/rounds')).status, 400);
});

test('transactions page through every wallet call once, newest first, across both nodes', async (t) => {
  const expected = await db.query('SELECT id FROM wallet_transactions WHERE operator_id = $1 ORDER BY created_at DESC, id DESC', [alpha.id]);
  t.is(expected.rows.length, 36);
  const { items, pages } = await walk(alpha, '/transactions', 4);
  t.is(pages, 9);
  t.deepEqual(ids(items), expected.rows.map((row) => row.id));
  t.is(new Set(ids(items)).size, 36, 'no duplicates');

  const first = await alpha.client(nodeUrl(1)).get('/transactions?limit=1');
  const row = (await db.query('SELECT * FROM wallet_transactions WHERE id = $1', [first.body.items[0].id])).rows[0];
  t.deepEqual(first.body.items[0], {
    id: row.id,
    kind: row.kind,
    betId: row.bet_id,
    roundId: row.round_id,
    playerId: row.player_id,
    debitTransactionId: row.debit_transaction_id,
    amount: Number(row.amount),
    currency: 'EUR',
    status: 'applied',
    resultCode: null,
    attempts: 1,
    lastError: null,
    nextAttemptAt: null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  });
  const all = await alpha.client(nodeUrl(0)).get('/transactions?limit=200');
  t.is(all.body.items.length, 36);
  t.is(all.body.nextCursor, null);
  t.is((await alpha.client(nodeUrl(0)).get('/transactions')).body.items.length, 36, 'the default limit is 50');
});

test('transactions filter by player, round and time (from inclusive, to exclusive)', async (t) => {
  const byPlayer = await walk(alpha, '/transactions?playerId=bob', 5);
  const bobRows = await db.query("SELECT id FROM wallet_transactions WHERE operator_id = $1 AND player_id = 'bob' ORDER BY created_at DESC, id DESC", [alpha.id]);
  t.is(bobRows.rows.length, 12);
  t.deepEqual(ids(byPlayer.items), bobRows.rows.map((row) => row.id));

  const { roundId, betId } = played.bob[1]!;
  const byRound = await alpha.client(nodeUrl(1)).get(`/transactions?roundId=${roundId}`);
  const roundRows = await db.query('SELECT id FROM wallet_transactions WHERE round_id = $1 ORDER BY created_at DESC, id DESC', [roundId]);
  t.deepEqual(ids(byRound.body.items), roundRows.rows.map((row) => row.id));
  t.is(byRound.body.items.length, 2);
  t.true(ids(byRound.body.items).includes(`${betId}:debit`));
  t.true(byRound.body.items.every((item: any) => item.roundId === roundId));

  // instant(5) and instant(21) are single rows' exact created_at, to the microsecond.
  const from = instant(5);
  const to = instant(21);
  const inRange = await db.query(
    'SELECT id, created_at FROM wallet_transactions WHERE operator_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at DESC, id DESC',
    [alpha.id, from, to],
  );
  t.is(inRange.rows.length, 16);
  const byTime = await walk(alpha, `/transactions?from=${from}&to=${to}`, 3);
  t.deepEqual(ids(byTime.items), inRange.rows.map((row) => row.id));
  const atFrom = await db.query('SELECT id FROM wallet_transactions WHERE operator_id = $1 AND created_at = $2', [alpha.id, from]);
  const atTo = await db.query('SELECT id FROM wallet_transactions WHERE operator_id = $1 AND created_at = $2', [alpha.id, to]);
  t.true(ids(byTime.items).includes(atFrom.rows[0].id), 'from is inclusive');
  t.false(ids(byTime.items).includes(atTo.rows[0].id), 'to is exclusive');

  const offset = await alpha.client(nodeUrl(0)).get(`/transactions?from=${encodeURIComponent('2031-03-01T13:00:00.005+01:00')}&limit=200`);
  t.deepEqual(
    ids(offset.body.items),
    (await db.query("SELECT id FROM wallet_transactions WHERE operator_id = $1 AND created_at >= '2031-03-01T12:00:00.005Z' ORDER BY created_at DESC, id DESC", [alpha.id])).rows.map((row) => row.id),
    'an offset is honoured',
  );
  const combined = await alpha.client(nodeUrl(0)).get(`/transactions?playerId=alice&roundId=${roundId}`);
  t.deepEqual(combined.body.items, [], "filters combine: bob's round has no alice transaction");
});

test("another operator's transactions, rounds and audit entries are invisible", async (t) => {
  const transactions = await beta.client(nodeUrl(0)).get('/transactions?limit=200');
  t.is(transactions.body.items.length, 2, "only beta's own alice bet");
  t.true(transactions.body.items.every((item: any) => !played.alice.some((bet) => bet.betId === item.betId)));
  const { roundId } = played.alice[3]!;
  t.deepEqual((await beta.client(nodeUrl(1)).get(`/transactions?roundId=${roundId}`)).body, { items: [], nextCursor: null });
  t.deepEqual((await beta.client(nodeUrl(1)).get('/transactions?playerId=bob')).body, { items: [], nextCursor: null });
  t.deepEqual((await beta.client(nodeUrl(0)).get('/audit?playerId=bob')).body, { items: [], nextCursor: null });
  const betaAudit = await walk(beta, '/audit', 50);
  const betaIds = (await db.query('SELECT id FROM audit_log WHERE operator_id = $1 ORDER BY created_at DESC, id DESC', [beta.id])).rows.map((row) => String(row.id));
  t.deepEqual(ids(betaAudit.items), betaIds);
});

test('the audit trail pages newest first (by time, then id) through every entry once, across both nodes', async (t) => {
  const expected = await db.query('SELECT id, action, actor, player_id, bet_id, data, created_at FROM audit_log WHERE operator_id = $1 ORDER BY created_at DESC, id DESC', [alpha.id]);
  t.true(expected.rows.length >= 11);
  const { items } = await walk(alpha, '/audit', 2);
  t.deepEqual(
    items,
    expected.rows.map((row) => ({
      id: String(row.id),
      action: row.action,
      actor: row.actor,
      playerId: row.player_id,
      betId: row.bet_id,
      data: row.data,
      createdAt: row.created_at.toISOString(),
    })),
  );
  t.true(items.every((item) => typeof item.id === 'string'));
});

test('the audit trail filters by action, player and time', async (t) => {
  const byAction = await walk(alpha, '/audit?action=session.launched', 2);
  t.deepEqual(
    byAction.items.map((item) => item.playerId),
    ['carol', 'bob', 'alice'],
  );
  const byPlayer = await walk(alpha, '/audit?playerId=bob', 2);
  t.true(byPlayer.items.length >= 1);
  t.true(byPlayer.items.every((item) => item.playerId === 'bob'));
  const both = await alpha.client(nodeUrl(1)).get('/audit?action=session.launched&playerId=alice');
  t.is(both.body.items.length, 1);
  t.is(both.body.items[0].data.sessionToken, sessions.get(`${alpha.id}/alice`));

  // Bounds at rows' exact created_at (to the microsecond, as stored).
  const { rows } = await db.query(
    `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
       FROM audit_log WHERE operator_id = $1 ORDER BY created_at, id`,
    [alpha.id],
  );
  const from = rows[1].at;
  const to = rows[rows.length - 1].at;
  const expected = await db.query(
    'SELECT id FROM audit_log WHERE operator_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at DESC, id DESC',
    [alpha.id, from, to],
  );
  const byTime = await walk(alpha, `/audit?from=${from}&to=${to}`, 3);
  t.deepEqual(ids(byTime.items), expected.rows.map((row) => String(row.id)));
  t.true(ids(byTime.items).includes(String(rows[1].id)), 'from is inclusive');
  t.false(ids(byTime.items).includes(String(rows[rows.length - 1].id)), 'to is exclusive');
  t.deepEqual((await alpha.client(nodeUrl(0)).get('/audit?action=no.such.action')).body, { items: [], nextCursor: null });
});

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

test('bad cursors and bad filters are 400 VALIDATION_FAILED on every list', async (t) => {
  const roundId = played.alice[0]!.roundId;
  const commonBadCursors = [
    '!!!',
    'not a cursor',
    'A'.repeat(300),
    b64('x'.repeat(180)),
    b64({ at: '2031-03-01T12:00:00.000000Z', id: roundId }),
    b64([1, 2]),
    b64(['x', 'y']),
    b64(['2031-03-01T12:00:00.000000Z']),
    b64(['2031-03-01T12:00:00.000000Z', 'a', 'b']),
    b64(['0000-01-01T00:00:00.000000Z', roundId]),
    b64(['2031-02-30T00:00:00.000000Z', roundId]),
    b64([`${'9'.repeat(60)}`, roundId]),
    b64(['', '']),
    'bnVsbA', // "null"
  ];
  const lists: { path: string; extraBadCursors: string[] }[] = [
    { path: '/players/alice/rounds', extraBadCursors: [b64(['2031-03-01T12:00:00.000000Z', 'not-a-uuid']), b64(['2031-03-01T12:00:00.000Z', roundId])] },
    { path: '/transactions', extraBadCursors: [b64(['2031-03-01T12:00:00Z', 'x:debit'])] },
    { path: '/audit', extraBadCursors: [b64(['2031-03-01T12:00:00.000Z', '99999999999999999999']), b64(['2031-03-01T12:00:00.000Z', '-1']), b64(['2031-03-01T12:00:00.000Z', '1.5']), b64(['2031-03-01T12:00:00.000Z', '5']), b64(['0000-01-01T00:00:00.000000Z', '5']), b64(['2031-02-30T00:00:00.000000Z', '5'])] },
  ];
  for (const { path, extraBadCursors } of lists) {
    for (const cursor of [...commonBadCursors, ...extraBadCursors]) {
      const answer = await alpha.client(nodeUrl(0)).get(`${path}?cursor=${encodeURIComponent(cursor)}`);
      t.is(answer.status, 400, `${path} cursor ${cursor.slice(0, 40)}`);
      t.is(answer.body.code, 'VALIDATION_FAILED', `${path} cursor ${cursor.slice(0, 40)}`);
      t.true(answer.body.errors.some((error: any) => error.path.startsWith('query.cursor')), path);
    }
  }
  const badQueries = [
    '/transactions?from=yesterday',
    '/transactions?from=2031-03-01',
    '/transactions?to=0000-01-01T00:00:00Z',
    '/transactions?to=2031-02-30T00:00:00Z',
    '/transactions?roundId=nope',
    '/transactions?playerId=',
    '/transactions?limit=0',
    '/transactions?limit=201',
    '/transactions?status=applied',
    '/transactions?from=2031-03-01T00:00:00Z&from=2031-03-02T00:00:00Z',
    '/audit?from=2031-13-01T00:00:00Z',
    '/audit?to=1',
    '/audit?action=',
    `/audit?action=${'a'.repeat(101)}`,
    '/audit?playerId=%00',
    '/audit?limit=-1',
    '/audit?betId=x',
  ];
  for (const path of badQueries) {
    const answer = await alpha.client(nodeUrl(1)).get(path);
    t.is(answer.status, 400, path);
    t.is(answer.body.code, 'VALIDATION_FAILED', path);
  }
});

test('the read APIs need the operator key', async (t) => {
  for (const path of [`/rounds/${played.alice[0]!.roundId}`, '/players/alice/rounds', '/transactions', '/audit']) {
    const answer = await fetch(nodeUrl(0) + path);
    t.is(answer.status, 401, path);
  }
});
