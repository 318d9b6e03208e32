import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { openDb, type Db } from '../src/shared/db.ts';
import { jobCatalog } from '../queues/catalog.ts';
import { bullPrefix } from '../queues/connection.ts';
import { startCluster, startWalletMock, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch, ledger, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';
import type { RunningProcess } from './support/process.ts';
import { REDIS_URL } from './support/redis.ts';
import { openSse } from './support/sse-client.ts';

// SPEC §2 / §10.6 graceful shutdown, with real node processes: on SIGTERM a node finishes
// the requests and jobs in flight, turns new connections away, ends SSE streams with a
// reconnection hint, and exits 0 before its SHUTDOWN_TIMEOUT_MS deadline (which exits 1).
// A slow wallet (the mock's latency fault) keeps the work in flight long enough to watch.
// The tests run one after another: every node here shares one Redis prefix, so a workers
// node left from another test could take a job meant for test (d).

let cluster: TestCluster;
let db: Db;
const wallets: RunningProcess[] = [];

test.before(async () => {
  cluster = await startCluster({ nodes: 0 });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await Promise.all(wallets.map((wallet) => wallet.stop('SIGKILL')));
  await cluster?.stop();
});

/** An operator on `node` with a wallet mock of its own, and a launched player. */
async function operatorWithWallet(node: RunningProcess, playerId: string) {
  const wallet = await startWalletMock();
  wallets.push(wallet);
  const operator = await createOperator(node, { walletUrl: wallet.url, walletSecret: TEST_WALLET_SECRET });
  const client = operator.client(node.url);
  const session = await launch(client, playerId);
  return { wallet, operator, client, session, params: (want: 'win' | 'lose') => paramsFor(db, operator.id, playerId, want) };
}

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** GET /ready on a new connection: its status, or the connection error (e.g. ECONNREFUSED). */
function readyOnNewConnection(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/ready', agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    request.setTimeout(5_000, () => request.destroy(new Error('no answer')));
  });
}

const logged = (node: RunningProcess, message: string) => node.logs.some((line) => line.includes(message));

test.serial('SIGTERM while POST /bets waits on the wallet: the bet is answered as usual, new connections are turned away, exit 0', async (t) => {
  const node = await cluster.addNode('node-in-flight', { WALLET_TIMEOUT_MS: '20000', BET_RESPONSE_WAIT_MS: '25000', SHUTDOWN_TIMEOUT_MS: '20000' });
  const s = await operatorWithWallet(node, 'in-flight');
  const params = await s.params('lose');
  await setFaults(s.wallet.url, { debit: { latencyMs: 8_000 } });

  // fetch keeps its connection alive, as load balancers and operators' clients do.
  let answered = false;
  const placing = placeBet(s.client, s.session, 1_000, params).finally(() => (answered = true));
  await until(async () => (await db.query('SELECT 1 FROM bets WHERE operator_id = $1', [s.operator.id])).rowCount === 1, 'the bet to be committed');
  t.is(await readyOnNewConnection(node.port), 200);

  const exited = node.stop('SIGTERM');
  const turnedAway = await until(async () => {
    const answer = await readyOnNewConnection(node.port);
    return answer === 200 ? undefined : answer;
  }, 'a new connection to be turned away');
  // 503 while the listener drains; once it is closed, ECONNREFUSED, or ECONNRESET for a
  // connection the kernel had queued in the backlog just before the close.
  t.true([503, 'ECONNREFUSED', 'ECONNRESET'].includes(turnedAway), `a new connection got ${turnedAway}`);
  t.false(answered, 'new connections were turned away while the bet was still in flight');

  const placed = await placing;
  t.is(placed.status, 201);
  t.is(placed.body.status, 'lost');
  t.is(await exited, 0);
  t.false(logged(node, 'shutdown deadline passed'));
  t.deepEqual(
    (await ledger(s.wallet.url, 'in-flight')).map((item) => `${item.kind}:${item.status}`),
    ['debit:applied'],
  );
});

test.serial('SIGTERM closes the admin listener too: its idle keep-alive connection is closed and new ones are turned away while a bet is in flight', async (t) => {
  const node = await cluster.addNode('node-admin-listener', { WALLET_TIMEOUT_MS: '20000', BET_RESPONSE_WAIT_MS: '25000', SHUTDOWN_TIMEOUT_MS: '20000' });
  const adminPort = Number(new URL(adminUrlOf(node)).port);
  const s = await operatorWithWallet(node, 'admin-listener');
  const params = await s.params('lose');
  await setFaults(s.wallet.url, { debit: { latencyMs: 8_000 } });

  // A scrape that keeps its connection, as prometheus does.
  const scraper = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => scraper.destroy());
  const scrapeSocket = await new Promise<net.Socket>((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: adminPort, path: '/metrics', agent: scraper }, (response) => {
      response.resume();
      response.on('end', () => resolve(request.socket!));
    });
    request.on('error', reject);
  });
  const scrapeClosed = new Promise<void>((resolve) => scrapeSocket.once('close', () => resolve()));

  let answered = false;
  const placing = placeBet(s.client, s.session, 1_000, params).finally(() => (answered = true));
  await until(async () => (await db.query('SELECT 1 FROM bets WHERE operator_id = $1', [s.operator.id])).rowCount === 1, 'the bet to be committed');

  const exited = node.stop('SIGTERM');
  await scrapeClosed;
  const turnedAway = await until(async () => {
    const answer = await readyOnNewConnection(adminPort);
    return typeof answer === 'string' ? answer : undefined;
  }, 'a new connection to the admin listener to be turned away');
  t.true(['ECONNREFUSED', 'ECONNRESET'].includes(turnedAway), `a new admin connection got ${turnedAway}`);
  t.false(answered, 'the admin listener closed while the bet was still in flight');

  t.is((await placing).status, 201);
  t.is(await exited, 0);
  t.false(logged(node, 'connections still open after the HTTP budget'));
});

test.serial('SIGTERM ends every open SSE stream with a last retry hint and the node exits 0', async (t) => {
  const node = await cluster.addNode('node-streams');
  const operator = await createOperator(node);
  const streams = await Promise.all(Array.from({ length: 25 }, () => openSse(node.url, { apiKey: operator.apiKey })));
  for (const stream of streams) t.is(stream.status, 200);
  await Promise.all(streams.map((stream) => stream.until((c) => c.retries.length > 0)));

  const exited = node.stop('SIGTERM');
  await Promise.all(streams.map((stream) => stream.until((c) => c.done, 15_000)));
  for (const stream of streams) {
    t.deepEqual(stream.retries, [3000, 3000], 'the opening hint and a last one');
    t.true(stream.raw.endsWith('retry: 3000\n\n'));
  }
  t.is(await exited, 0);
  t.false(logged(node, 'shutdown deadline passed'));
});

test.serial('a client that never finishes sending its request does not keep the node past its deadline', async (t) => {
  // Without a cut, the half-sent request would hold the server open until headersTimeout (60 s).
  const node = await cluster.addNode('node-slow-client', { SHUTDOWN_TIMEOUT_MS: '6000' });
  const slow = net.connect({ host: '127.0.0.1', port: node.port });
  slow.on('error', () => undefined);
  t.teardown(() => slow.destroy());
  await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
  slow.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  t.is(await readyOnNewConnection(node.port), 200);

  const code = await node.stop('SIGTERM');
  t.is(code, 0);
  t.true(logged(node, 'connections still open after the HTTP budget'));
  t.false(logged(node, 'shutdown deadline passed'));
});

test.serial('a second signal during shutdown exits at once', async (t) => {
  const node = await cluster.addNode('node-impatient', { WALLET_TIMEOUT_MS: '30000', BET_RESPONSE_WAIT_MS: '30000', SHUTDOWN_TIMEOUT_MS: '60000' });
  const s = await operatorWithWallet(node, 'impatient');
  const params = await s.params('lose');
  await setFaults(s.wallet.url, { debit: { latencyMs: 30_000 } });
  const placing = placeBet(s.client, s.session, 1_000, params).catch((error: unknown) => error);
  await until(async () => (await db.query('SELECT 1 FROM bets WHERE operator_id = $1', [s.operator.id])).rowCount === 1, 'the bet to be committed');

  const exited = node.stop('SIGTERM');
  await until(async () => logged(node, 'shutting down: finishing in-flight work'), 'the first signal to be handled');
  node.child.kill('SIGTERM');
  const code = await exited;
  t.not(code, 0);
  t.true(logged(node, 'second signal: exiting now'));
  t.false(logged(node, 'shutdown deadline passed'), 'it did not wait for the deadline');
  await placing;
  // The bet stays for the sweeper (SPEC §10.6: a killed node loses nothing); not this test's concern.
});

test.serial('SIGTERM on a workers-only node lets a running debit retry finish: the bet ends, no job is left stalled', async (t) => {
  const api = await cluster.addNode('node-api', { RGS_ROLES: 'api', BET_RESPONSE_WAIT_MS: '200', BET_RETRY_BASE_MS: '200', BET_DEBIT_ATTEMPTS: '4' });
  const s = await operatorWithWallet(api, 'retried');
  const params = await s.params('lose');

  // The first debit attempt (in the request) fails: its retry becomes a job for a worker.
  await setFaults(s.wallet.url, { debit: { errorRate: 1 } });
  const placed = await placeBet(s.client, s.session, 1_000, params);
  t.is(placed.status, 202);
  const betId: string = placed.body.id;
  await until(async () => (await db.query("SELECT 1 FROM wallet_transactions WHERE id = $1 AND attempts = 1", [`${betId}:debit`])).rowCount === 1, 'the first attempt to be recorded');
  await setFaults(s.wallet.url, { debit: { latencyMs: 5_000 } });

  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(jobCatalog.debit.queue, { connection: redis, prefix: bullPrefix({ redis: { url: REDIS_URL }, redisPrefix: cluster.redisPrefix, partitions: 1 }, 0) });
  t.teardown(async () => {
    await queue.close();
    redis.disconnect();
  });
  const jobId = jobCatalog.debit.jobId({ operatorId: s.operator.id, betId, attempt: 2 });

  const workers = await cluster.addNode('node-workers', { RGS_ROLES: 'workers', WALLET_TIMEOUT_MS: '20000', SWEEP_INTERVAL_MS: '600000' });
  await until(async () => (await queue.getJobState(jobId)) === 'active', 'the retry job to be running');
  const code = await workers.stop('SIGTERM');

  t.is(code, 0);
  t.false(logged(workers, 'shutdown deadline passed'));
  t.is(await queue.getJobState(jobId), 'completed');
  t.like(await queue.getJobCounts('waiting', 'active', 'delayed', 'failed'), { waiting: 0, active: 0, failed: 0 });
  // No worker runs any more: the bet was finished by the node that was stopping.
  const bet = await waitForBet(s.client, betId);
  t.is(bet.status, 'lost');
  t.deepEqual(
    (await ledger(s.wallet.url, 'retried')).map((item) => `${item.kind}:${item.status}`),
    ['debit:applied'],
  );
  const attempts = await db.query('SELECT attempts FROM wallet_transactions WHERE id = $1', [`${betId}:debit`]);
  t.is(attempts.rows[0].attempts, 2);
});
