import test from 'ava';
import { Redis } from 'ioredis';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { REDIS_URL } from './support/redis.ts';
import { launch, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';

// SPEC §4: job queues drive every retry, on whichever node runs workers; a sweeper
// re-enqueues bets whose job was lost (a crash between commit and enqueue, or Redis
// losing its queues), and it is safe to run on every node at once.

let cluster: TestCluster;
let db: Db;

test.before(async () => {
  // Retries seconds apart: when the test deletes the queues, every retry is a delayed
  // job (none in flight that could enqueue its successor), so only the sweeper can resume.
  const nodeEnv = { WALLET_TIMEOUT_MS: '300', BET_RETRY_BASE_MS: '2000', BET_RETRY_MAX_MS: '3000', SWEEP_INTERVAL_MS: '300' };
  cluster = await startCluster({ nodes: 0, nodeEnv });
  await cluster.addNode('api-only', { RGS_ROLES: 'api' });
  await cluster.addNode('workers-1', { RGS_ROLES: 'workers' });
  await cluster.addNode('workers-2', { RGS_ROLES: 'workers' });
  db = await openDb(cluster.database.url, 4);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

test('an api-only node serves requests while workers-only nodes run the retries, and a lost queue is swept back', async (t) => {
  const api = cluster.nodes[0]!;
  t.is(cluster.nodes[1]!.port, 0, 'a workers-only node serves no HTTP');
  const operator = await createOperator(api);
  const client = operator.client(api.url);
  const session = await launch(client, 'swept');

  // Credits fail: the bets wait in credit_pending with their retry jobs queued.
  await setFaults(cluster.wallet.url, { credit: { errorRate: 1 } });
  const bets = [];
  for (let i = 0; i < 5; i++) {
    const placed = await placeBet(client, session, 1_000, await paramsFor(db, operator.id, 'swept', 'win'));
    t.is(placed.status, 201);
    bets.push(placed.body.id);
  }
  for (const id of bets) await waitForBet(client, id, new Set(['credit_pending']));

  // Redis loses every queue key (as after a restart without persistence).
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${cluster.redisPrefix}bull:*`);
  t.true(keys.length > 0, 'the retries were queued in Redis');
  await redis.del(...keys);
  redis.disconnect();

  await setFaults(cluster.wallet.url, {});
  for (const id of bets) t.is((await waitForBet(client, id)).status, 'won');
  const swept = cluster.nodes.slice(1).some((node) => node.logs.some((line) => line.includes('sweeper re-enqueued overdue bets')));
  t.true(swept, 'the sweeper put the lost jobs back');
  const credits = await db.query("SELECT attempts, status FROM wallet_transactions WHERE kind = 'credit' AND bet_id = ANY($1)", [bets]);
  t.true(credits.rows.every((row) => row.status === 'applied'));
});
