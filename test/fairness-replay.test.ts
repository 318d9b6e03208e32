import test from 'ava';
import { createHash } from 'node:crypto';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch, ledger, placeBet } from './support/bets.ts';
import { request } from './support/http.ts';
import { settleDice } from '../src/games/dice/dice.ts';

// SPEC §5: after rotation, every round recomputed from the revealed seed matches what
// was stored and what was paid.

let cluster: TestCluster;

test.before(async () => {
  cluster = await startCluster({ nodes: 1 });
});

test.after.always(async () => {
  await cluster?.stop();
});

test('every round recomputed from the revealed seed matches the stored outcome and the payout', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const client = operator.client();
  const session = await launch(client, 'verifier');
  const launched = (await client.get(`/sessions/${session}`)).body;
  const bets = [];
  for (let i = 0; i < 25; i++) {
    const params = i % 2 ? { target: 10 + i * 3.37, direction: 'under' } : { target: 5 + i * 2.11, direction: 'over' };
    params.target = Math.round(params.target * 100) / 100;
    const placed = await placeBet(client, session, 1_000 + i * 13, params);
    t.is(placed.status, 201);
    bets.push(placed.body);
  }
  const rotated = await client.post(`/sessions/${session}/seeds/rotate`, { clientSeed: 'next-seed' });
  t.is(rotated.status, 200);
  const revealed = rotated.body.previous.serverSeed;
  t.is(createHash('sha256').update(revealed).digest('hex'), launched.fairness.serverSeedHash, 'the seed matches the hash shown at launch');
  t.is(rotated.body.previous.nonce, 25);

  const credits = new Map((await ledger(cluster.wallet.url, 'verifier')).filter((item) => item.kind === 'credit').map((item) => [item.betId, item.amount]));
  for (const bet of bets) {
    const round = (await client.get(`/rounds/${bet.roundId}`)).body;
    t.is(round.fairness.serverSeed, revealed);
    const verified = await request('GET', `${cluster.nodes[0]!.url}/fairness/verify?game=dice&serverSeed=${revealed}&clientSeed=${encodeURIComponent(round.fairness.clientSeed)}&nonce=${round.fairness.nonce}`);
    t.is(verified.status, 200);
    t.is(verified.body.outcome.roll, round.outcome.roll, `round ${round.fairness.nonce}: verify reproduces the roll`);
    const settled = settleDice({ amount: bet.amount, params: bet.params, roll: verified.body.outcome.roll });
    t.is(settled.win, bet.outcome.win);
    t.is(bet.status, settled.win ? 'won' : 'lost');
    t.is(bet.payout, settled.payout);
    t.is(credits.get(bet.id) ?? 0, settled.payout, 'the wallet was credited exactly the recomputed payout');
  }
});
