import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { startCluster, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch, placeBet } from './support/bets.ts';
import type { RunningProcess } from './support/process.ts';

// Issue #17 point 13: one operator's wallet that hangs on every call cannot starve the
// others. Each node makes at most WALLET_CALLS_PER_OPERATOR (here 2) calls of one
// operator's wallet at once; POST /bets waits in a short line behind them (here 2 × 4),
// and past that its attempt is not made but queued for later. The nodes run no queue
// workers, so what the hanging wallet holds is exactly what the bound let through.

const PER_OPERATOR = 2;
const WAITING = PER_OPERATOR * 4;

let cluster: TestCluster;

test.before(async () => {
  cluster = await startCluster({
    nodes: 2,
    nodeEnv: { RGS_ROLES: 'api', WALLET_CALLS_PER_OPERATOR: String(PER_OPERATOR), WALLET_TIMEOUT_MS: '30000', BET_RESPONSE_WAIT_MS: '5000' },
  });
});

test.after.always(async () => {
  await cluster?.stop();
});

/** A wallet that takes every request and never answers; counts the requests it holds. */
async function startHangingWallet(t: { teardown(fn: () => void): void }) {
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    held.add(res);
    res.on('close', () => held.delete(res));
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, held: () => held.size };
}

async function metric(node: RunningProcess, line: string): Promise<number> {
  const text = await (await fetch(`${adminUrlOf(node)}/metrics`)).text();
  const found = text.split('\n').find((each) => each.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await sleep(50);
  }
}

test("while operator A's wallet hangs on every call, A's calls stay at the bound on each node and operator B's bets all settle", async (t) => {
  const nodes = cluster.nodes;
  const hanging = await startHangingWallet(t);
  const a = await createOperator(cluster.nodes[0]!, { walletUrl: hanging.url, walletSecret: TEST_WALLET_SECRET });
  const b = await createOperator(cluster.nodes[0]!);
  const callsOfA = (node: RunningProcess, what: 'in_flight' | 'waiting') => metric(node, `rgs_wallet_calls_${what}{operator="${a.id}"}`);

  // A: more bets per node than its bound and its line hold together.
  const perNode = PER_OPERATOR + WAITING + 2;
  const sessionsOfA = await Promise.all(
    Array.from({ length: perNode * 2 }, (_, n) => launch(a.client(nodes[n % 2]!.url), `a-player-${n}`)),
  );
  const betsOfA = sessionsOfA.map((session, n) => placeBet(a.client(nodes[n % 2]!.url), session, 100, { target: 50, direction: 'over' }));
  for (const node of nodes) {
    await waitFor(async () => (await callsOfA(node, 'in_flight')) === PER_OPERATOR && (await callsOfA(node, 'waiting')) === WAITING, `A saturated on ${node.name}`);
    await waitFor(async () => (await metric(node, `rgs_wallet_calls_deferred_total{operator="${a.id}"}`)) === 2, `A's extra attempts deferred on ${node.name}`);
  }
  t.is(hanging.held(), PER_OPERATOR * nodes.length, "A's wallet holds only the bound's calls of each node");

  // B, meanwhile: every bet answers 201 with its money decided, through both nodes.
  const sessionsOfB = await Promise.all(Array.from({ length: 12 }, (_, n) => launch(b.client(nodes[n % 2]!.url), `b-player-${n}`)));
  const answersOfB = await Promise.all(sessionsOfB.map((session, n) => placeBet(b.client(nodes[n % 2]!.url), session, 100, { target: 50, direction: 'over' })));
  t.deepEqual(
    answersOfB.map((answer) => answer.status),
    answersOfB.map(() => 201),
  );
  t.true(answersOfB.every((answer) => ['won', 'lost'].includes(answer.body.status)));

  // A was at its bound all along, and still is.
  for (const node of nodes) {
    t.is(await callsOfA(node, 'in_flight'), PER_OPERATOR);
    t.is(await metric(node, `rgs_wallet_calls_in_flight{operator="${b.id}"}`), 0);
  }
  t.is(hanging.held(), PER_OPERATOR * nodes.length);
  // A's own bets are not decided: 202, to be settled once its wallet answers.
  const answersOfA = await Promise.all(betsOfA);
  t.deepEqual(new Set(answersOfA.map((answer) => `${answer.status} ${answer.body.status}`)), new Set(['202 debiting']));
});
