import test from 'ava';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../shared/errors.ts';
import { DEFAULT_DICE_CONFIG, rollDice } from '../../games/dice/dice.ts';
import { replaceLimits } from '../compliance/service.ts';
import { openBetsModule, type BetsModuleFixture } from '../../../test/support/bets-module.ts';
import { serverSeedOf, testKeyring } from '../../../test/support/secrets.ts';
import { placeBet, type Placement, type PlacementDeps } from './placement.ts';
import { createPlacementStatements } from './placement-statements.ts';
import type { PlaceBetInput } from './schemas.ts';

// SPEC §4 placement against the template database, in this process: placeBet with the
// node's shared statements (placement-statements.ts) over the store's SQL. The bets
// service around it needs a runtime (wallet, queues) only to settle, which is not what
// these tests look at: they stop at the committed bet, still `debiting`.

let fixture: BetsModuleFixture;
test.before(async () => {
  fixture = await openBetsModule();
});
test.after.always(async () => {
  await fixture?.close();
});

const PARAMS = { target: 50, direction: 'under' } as const;

function place(sessionToken: string, key = randomUUID(), amount = 100, deps: PlacementDeps = fixture.placement): Promise<Placement> {
  const input: PlaceBetInput = { sessionToken, amount, game: 'dice', params: PARAMS };
  return placeBet(deps, fixture.operatorId, new Map([['dice', DEFAULT_DICE_CONFIG]]), input, key);
}

async function nextNonce(playerId: string): Promise<number> {
  const { rows } = await fixture.db.query<{ next_nonce: number }>('SELECT next_nonce FROM seed_pairs WHERE operator_id = $1 AND player_id = $2 AND active', [
    fixture.operatorId,
    playerId,
  ]);
  return rows[0]!.next_nonce;
}

async function roundsOf(playerId: string) {
  const { rows } = await fixture.db.query<{ bet_id: string; nonce: number; outcome: { roll: number }; client_seed: string; seed_pair_id: string }>(
    'SELECT bet_id, nonce, outcome, client_seed, seed_pair_id FROM rounds WHERE operator_id = $1 AND player_id = $2 ORDER BY nonce',
    [fixture.operatorId, playerId],
  );
  return rows;
}

async function rowCounts(playerId: string) {
  const { rows } = await fixture.db.query<Record<string, number>>(
    `SELECT (SELECT count(*) FROM bets WHERE operator_id = $1 AND player_id = $2) AS bets,
            (SELECT count(*) FROM rounds WHERE operator_id = $1 AND player_id = $2) AS rounds,
            (SELECT count(*) FROM wallet_transactions WHERE operator_id = $1 AND player_id = $2) AS wallet_transactions,
            (SELECT count(*) FROM events WHERE operator_id = $1 AND player_id = $2) AS events,
            (SELECT staked FROM player_daily_totals WHERE operator_id = $1 AND player_id = $2) AS staked`,
    [fixture.operatorId, playerId],
  );
  return rows[0]!;
}

function placed(placement: Placement) {
  if (placement.kind !== 'placed') throw new Error(`expected a new bet, got ${placement.kind}`);
  return placement.bet;
}

test("consecutive bets of one player take consecutive nonces, and each round is drawn with its bet's nonce", async (t) => {
  const token = await fixture.launch('nonce-sequence');
  const bets = [];
  for (let i = 0; i < 3; i++) bets.push(placed(await place(token)));

  t.deepEqual(
    bets.map((bet) => bet.nonce),
    [0, 1, 2],
  );
  t.is(await nextNonce('nonce-sequence'), 3);
  const rounds = await roundsOf('nonce-sequence');
  t.deepEqual(
    rounds.map((round) => [round.bet_id, round.nonce]),
    bets.map((bet) => [bet.id, bet.nonce]),
  );
  // The roll stored is the one the seed pair gives at that nonce (SPEC §5), not another's.
  const { rows } = await fixture.db.query<{ id: string; server_seed: string }>('SELECT id, server_seed FROM seed_pairs WHERE id = $1', [rounds[0]!.seed_pair_id]);
  const serverSeed = serverSeedOf(rows[0]!);
  for (const round of rounds) t.is(round.outcome.roll, rollDice(serverSeed, round.client_seed, round.nonce).roll);
});

test('concurrent placements of one player never reuse a nonce', async (t) => {
  const token = await fixture.launch('nonce-concurrent');
  // Two sets of shared statements on the one Db, as two nodes would have: a placement's
  // read and insert can then fall on either side of another's insert.
  const otherNode: PlacementDeps = { ...fixture.placement, statements: createPlacementStatements(fixture.db, testKeyring) };
  const placements = await Promise.all(Array.from({ length: 16 }, (_, i) => place(token, randomUUID(), 100, i % 2 ? otherNode : fixture.placement)));

  const expected = Array.from({ length: 16 }, (_, i) => i);
  const nonces = placements.map((placement) => placed(placement).nonce).sort((a, b) => a - b);
  t.deepEqual(nonces, expected);
  t.deepEqual(
    (await roundsOf('nonce-concurrent')).map((round) => round.nonce),
    expected,
  );
  t.is(await nextNonce('nonce-concurrent'), 16);
});

test('a daily loss limit refuses the bet that would pass it and writes nothing but its audit row', async (t) => {
  // Its own currency, so the limit touches no other test's player.
  await replaceLimits(fixture.db.orm.em.fork(), fixture.operatorId, { currencies: { GBP: { dailyLossLimit: 250 } } });
  const token = await fixture.launch('loss-limit', 'GBP');
  placed(await place(token, randomUUID(), 100));
  placed(await place(token, randomUUID(), 100));
  const before = await rowCounts('loss-limit');
  const { rows: last } = await fixture.db.query<{ id: number }>('SELECT COALESCE(max(id), 0) AS id FROM audit_log');

  // Open stakes count as lost (SPEC §8): 200 staked + 100 would pass 250.
  const refused = await t.throwsAsync(place(token, randomUUID(), 100), { instanceOf: DomainError });
  t.is(refused.code, 'DAILY_LOSS_LIMIT');

  t.deepEqual(await rowCounts('loss-limit'), before);
  t.is(before.staked, 200);
  t.is(await nextNonce('loss-limit'), 2);
  // Only this player's rows: the file's other tests run meanwhile.
  const { rows } = await fixture.db.query<{ action: string; data: { code: string } }>(
    'SELECT action, data FROM audit_log WHERE id > $1 AND operator_id = $2 AND player_id = $3 ORDER BY id',
    [last[0]!.id, fixture.operatorId, 'loss-limit'],
  );
  t.deepEqual(
    rows.map((row) => [row.action, row.data.code]),
    [['bet.refused', 'DAILY_LOSS_LIMIT']],
  );
  // A bet that stays within the limit still goes through.
  t.is(placed(await place(token, randomUUID(), 50)).nonce, 2);
});

test('a repeated Idempotency-Key returns the first bet and does not advance the nonce', async (t) => {
  const token = await fixture.launch('idempotent');
  const key = randomUUID();
  const first = placed(await place(token, key));

  const again = await place(token, key);
  t.is(again.kind, 'existing');
  t.is(again.bet.id, first.id);
  t.is(again.bet.nonce, first.nonce);
  t.is(await nextNonce('idempotent'), first.nonce + 1);
  t.is((await rowCounts('idempotent')).bets, 1);
});

test('the same Idempotency-Key with another body is refused', async (t) => {
  const token = await fixture.launch('key-reused');
  const key = randomUUID();
  placed(await place(token, key, 100));

  const refused = await t.throwsAsync(place(token, key, 200), { instanceOf: DomainError });
  t.is(refused.code, 'IDEMPOTENCY_KEY_REUSED');
  t.is(await nextNonce('key-reused'), 1);
  t.is((await rowCounts('key-reused')).bets, 1);
});
