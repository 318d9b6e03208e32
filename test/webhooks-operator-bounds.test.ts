import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch } from './support/bets.ts';
import { startWebhookReceiver } from './support/webhook-receiver.ts';

// Issue #17 point 13, webhooks: the node that relays events sends their first attempts
// itself, at most WEBHOOK_FIRST_ATTEMPTS_IN_FLIGHT (here 4) at once and at most
// WEBHOOK_FIRST_ATTEMPTS_PER_OPERATOR (here 2) of one operator's. One node, and no queue
// workers: what reaches a receiver is a first attempt of that node, and a delivery that
// waits past its window goes to a queue nobody serves.

const SECRET = 'whsec-operator-bounds-0123456789';

let cluster: TestCluster;

test.before(async () => {
  cluster = await startCluster({
    nodes: 1,
    nodeEnv: { RGS_ROLES: 'api', WEBHOOK_FIRST_ATTEMPTS_IN_FLIGHT: '4', WEBHOOK_FIRST_ATTEMPTS_PER_OPERATOR: '2', WEBHOOK_TIMEOUT_MS: '8000' },
  });
});

test.after.always(async () => {
  await cluster?.stop();
});

/** A receiver that takes every request and never answers; counts the requests it holds. */
async function startHangingReceiver(t: { teardown(fn: () => void): void }) {
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
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, held: () => held.size };
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await sleep(50);
  }
}

test("while operator A's webhook receiver hangs, A holds two first attempts and operator B's events are delivered at their first attempt", async (t) => {
  const hanging = await startHangingReceiver(t);
  const receiver = await startWebhookReceiver({ secret: SECRET });
  t.teardown(() => receiver.close());
  const a = await createOperator(cluster.nodes[0]!, { webhookUrl: hanging.url, webhookSecret: SECRET });
  const b = await createOperator(cluster.nodes[0]!, { webhookUrl: receiver.url, webhookSecret: SECRET });

  // Ten events of A (session.launched): more than the node's four first attempts in flight.
  await Promise.all(Array.from({ length: 10 }, (_, n) => launch(a.client(), `a-player-${n}`)));
  await waitFor(() => hanging.held() >= 2, "A's receiver holds first attempts");

  await Promise.all(Array.from({ length: 3 }, (_, n) => launch(b.client(), `b-player-${n}`)));
  await receiver.waitFor((received) => received.length >= 3);
  const deliveriesOfB = async () =>
    ((await b.client().get('/webhooks/deliveries')).body.items as { status: string; attempts: number }[]).map((d) => `${d.status} ${d.attempts}`);
  // The node records a batch of first attempts once all of them have ended.
  await waitFor(async () => (await deliveriesOfB()).every((each) => each === 'delivered 1'), "B's deliveries recorded");
  t.deepEqual(await deliveriesOfB(), ['delivered 1', 'delivered 1', 'delivered 1']);
  t.true(receiver.received.every((request) => request.verified && request.status === 200));

  // A's receiver still holds its two first attempts, and never got more.
  t.is(hanging.held(), 2);
  const deliveriesOfA = (await a.client().get('/webhooks/deliveries')).body.items;
  t.is(deliveriesOfA.length, 10);
  t.true(deliveriesOfA.every((delivery: { status: string; attempts: number }) => delivery.status === 'pending' && delivery.attempts === 0));
});
