import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { launch, placeBet, waitForBet } from './support/bets.ts';
import { createOperator } from './support/operators.ts';
import { waitUntil } from './support/wait.ts';

// SPEC §11: what operators read about a failed wallet call or webhook delivery (a bet's
// rejectReason, GET /transactions, GET /webhooks/deliveries) is a status code or a short
// error name, never what the other side answered nor where it is: pointed at an internal
// service (where private targets are allowed), a URL must not become a way to read it.

const INTERNAL_PAGE = 'internal-admin-console: db password hunter2';

let cluster: TestCluster;
let db: Db;
let internal: { url: string; close(): Promise<void> };

/** An internal service that answers every request with a page of its own, by the player id it finds. */
async function startInternalService() {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (body.includes('refused-player')) res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ code: INTERNAL_PAGE }));
      else res.writeHead(503, { 'content-type': 'text/html' }).end(`<html>${INTERNAL_PAGE}</html>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test.before(async () => {
  cluster = await startCluster({ nodeEnv: { BET_RESPONSE_WAIT_MS: '200' } });
  internal = await startInternalService();
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await internal?.close();
  await cluster?.stop();
});

test("a wallet's refusal or error page never reaches the operator: only its status code", async (t) => {
  const operator = await createOperator(cluster.nodes[0]!, { walletUrl: internal.url, walletSecret: 'a-wallet-secret-of-some-length' });
  const client = operator.client();

  const refused = await placeBet(client, await launch(client, 'refused-player'), 100, { target: 50, direction: 'under' });
  const rejected = await waitForBet(client, refused.body.id);
  t.is(rejected.status, 'rejected');
  t.is(rejected.rejectReason, 'HTTP_409', 'a refusal code that is not a short upper-case code is replaced by the status');

  const failing = await placeBet(client, await launch(client, 'failing-player'), 100, { target: 50, direction: 'under' });
  await waitUntil(async () => (await db.query('SELECT attempts FROM wallet_transactions WHERE id = $1', [`${failing.body.id}:debit`])).rows[0]?.attempts >= 1, 'a debit attempt');
  const transactions = (await client.get('/transactions')).body.items;
  t.true(transactions.some((item: { lastError: string | null }) => item.lastError === 'wallet answered 503'));

  const seen = JSON.stringify([transactions, (await client.get('/bets')).body, (await client.get('/outbox')).body]);
  t.false(seen.includes('hunter2'), "no part of the wallet's answer");
});

test("a webhook receiver's error page never reaches the operator, nor the address of one that cannot be reached", async (t) => {
  const operator = await createOperator(cluster.nodes[0]!, { webhookUrl: `${internal.url}/hooks` });
  const unreachable = await createOperator(cluster.nodes[0]!, { webhookUrl: 'http://127.0.0.1:9/hooks' });
  await launch(operator.client(), 'hooked-player');
  await launch(unreachable.client(), 'hooked-player');

  const attempted = async (client: ReturnType<typeof operator.client>) => {
    let items: { attempts: number; lastError: string | null }[] = [];
    await waitUntil(async () => {
      items = (await client.get('/webhooks/deliveries')).body.items;
      return items.some((item) => item.attempts >= 1);
    }, 'a delivery attempt');
    return items;
  };
  const answered = await attempted(operator.client());
  t.true(answered.some((item) => item.lastError === 'receiver answered 503'));
  t.false(JSON.stringify(answered).includes('hunter2'));
  const refusedConnection = await attempted(unreachable.client());
  t.true(refusedConnection.some((item) => item.lastError === 'receiver unreachable: ECONNREFUSED'), JSON.stringify(refusedConnection));
});
