import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch, paramsFor, placeBet, waitForBet } from './support/bets.ts';

// SPEC §6 against a wallet that is not polite: it answers a debit with a 200 about another
// transaction, with more than 64 KiB, with an answer that never ends, or with a refusal
// whose body carries more than a code. None of it may settle a bet, pin a node, or reach
// what the operator is shown. The wallet checks every request's signature like an honest
// one, so the same tests prove what the RGS signs.

const DEBIT_ATTEMPTS = 3;
let cluster: TestCluster;
let db: Db;
const closers: (() => Promise<void>)[] = [];

test.before(async () => {
  cluster = await startCluster({
    nodes: 1,
    nodeEnv: {
      WALLET_TIMEOUT_MS: '3000',
      BET_DEBIT_ATTEMPTS: String(DEBIT_ATTEMPTS),
      BET_RETRY_BASE_MS: '30',
      BET_RETRY_MAX_MS: '200',
      SWEEP_INTERVAL_MS: '500',
    },
  });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await Promise.all(closers.map((close) => close()));
  await db?.end();
  await cluster?.stop();
});

type DebitAnswer = 'another transaction' | 'over 64 KiB' | 'endless' | 'refusal with a body';

interface SeenRequest {
  method: string;
  path: string;
  operatorId: string | undefined;
  signatureValid: boolean;
  body: Record<string, unknown>;
  /** The RGS closed the connection before the answer ended. */
  cutOff: boolean;
}

const BASE_PATH = '/hostile/base';
const LEAK_MARKER = 'internal-detail-7c1e';

/** The wallet's own check of SPEC §6's signature, over what it received. */
function signatureValid(secret: string, req: http.IncomingMessage, rawBody: Buffer): boolean {
  const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : '');
  const signed = `${header('x-timestamp')}.${header('x-request-id')}.${req.method} ${req.url}.${header('x-operator-id')}.`;
  const expected = createHmac('sha256', secret).update(signed).update(rawBody).digest();
  const given = Buffer.from(header('x-signature'), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Answers as long as the RGS keeps reading, 16 KiB at a time, and notes when it stops. */
function answerForever(res: http.ServerResponse, seen: SeenRequest, transactionId: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(`{"transactionId":"${transactionId}","pad":"`);
  const chunk = 'x'.repeat(16 * 1024);
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  res.once('close', () => {
    seen.cutOff = !res.writableFinished;
  });
  pump();
}

async function startHostileWallet(secret: string, debitAnswer: DebitAnswer) {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      const request: SeenRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        operatorId: req.headers['x-operator-id'] as string | undefined,
        signatureValid: signatureValid(secret, req, raw),
        body,
        cutOff: false,
      };
      seen.push(request);
      const json = (status: number, answer: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      if (!request.signatureValid) return json(401, { code: 'BAD_SIGNATURE' });
      const transactionId = String(body.transactionId);
      if (req.url !== `${BASE_PATH}/wallet/debit`) return json(200, { transactionId, balance: 1_000_000 });
      switch (debitAnswer) {
        case 'another transaction':
          return json(200, { transactionId: `${randomUUID()}:debit`, balance: 1_000_000 });
        case 'over 64 KiB':
          return json(200, { transactionId, balance: 1_000_000, pad: 'x'.repeat(100 * 1024) });
        case 'endless':
          return answerForever(res, request, transactionId);
        case 'refusal with a body':
          return json(402, { code: `INSUFFICIENT_FUNDS <b>${LEAK_MARKER}</b>`, detail: `${LEAK_MARKER}: db=10.0.0.5 user=wallet` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${BASE_PATH}`, seen };
}

/** An operator whose own wallet (with its own secret) is a hostile one, and one bet of its player. */
async function betAgainst(debitAnswer: DebitAnswer) {
  const secret = `hostile-wallet-secret-${randomBytes(8).toString('hex')}`;
  const wallet = await startHostileWallet(secret, debitAnswer);
  const operator = await createOperator(cluster.nodes[0]!, { walletUrl: wallet.url, walletSecret: secret });
  const client = operator.client();
  const session = await launch(client, 'player-1');
  const placed = await placeBet(client, session, 1_000, await paramsFor(db, operator.id, 'player-1', 'win'));
  const bet = await waitForBet(client, placed.body.id);
  const debit = (await db.query('SELECT attempts, status, last_error, result_code FROM wallet_transactions WHERE id = $1', [`${bet.id}:debit`])).rows[0];
  return { operator, wallet, bet, debit, client };
}

const stateNames = (bet: { history: { state: string }[] }) => bet.history.map((entry) => entry.state);

test('the RGS signs each call for its method, its path under the wallet URL and its operator, with the operator secret', async (t) => {
  const { operator, wallet } = await betAgainst('another transaction');
  t.true(wallet.seen.length > 0);
  for (const request of wallet.seen) {
    t.true(request.signatureValid, `${request.method} ${request.path} carries a valid signature`);
    t.is(request.operatorId, operator.id);
    t.is(request.method, 'POST');
    t.regex(request.path, /^\/hostile\/base\/wallet\/(debit|rollback)$/);
  }
});

test('a 200 for another transaction id leaves the debit unknown: retried, then rolled back and cancelled', async (t) => {
  const { bet, debit, wallet } = await betAgainst('another transaction');
  t.like(bet, { status: 'cancelled', payout: 0 });
  t.deepEqual(stateNames(bet), ['debiting', 'rolling_back', 'cancelled']);
  t.is(debit.attempts, DEBIT_ATTEMPTS, 'every attempt was unknown, so every attempt was made');
  t.not(debit.status, 'applied');
  t.is(debit.last_error, 'wallet answered 200 for another transaction');
  const debits = wallet.seen.filter((request) => request.path.endsWith('/wallet/debit'));
  t.is(debits.length, DEBIT_ATTEMPTS);
  t.true(debits.every((request) => request.body.transactionId === `${bet.id}:debit`), 'the same transaction id on every retry');
  t.true(
    wallet.seen.some((request) => request.path.endsWith('/wallet/rollback') && request.body.debitTransactionId === `${bet.id}:debit`),
    'the debit the wallet may hold is rolled back',
  );
});

test('an answer over 64 KiB leaves the debit unknown: retried, then rolled back and cancelled', async (t) => {
  const { bet, debit } = await betAgainst('over 64 KiB');
  t.like(bet, { status: 'cancelled', payout: 0 });
  t.deepEqual(stateNames(bet), ['debiting', 'rolling_back', 'cancelled']);
  t.is(debit.attempts, DEBIT_ATTEMPTS);
  t.is(debit.last_error, 'wallet answer over 65536 bytes');
});

test('an answer that never ends is cut off after 64 KiB, not read until the timeout', async (t) => {
  const { bet, debit, wallet } = await betAgainst('endless');
  t.like(bet, { status: 'cancelled', payout: 0 });
  t.is(debit.attempts, DEBIT_ATTEMPTS);
  // Read to its end, the answer would have ended by WALLET_TIMEOUT_MS as 'wallet timed out'.
  t.is(debit.last_error, 'wallet answer over 65536 bytes');
  const debits = wallet.seen.filter((request) => request.path.endsWith('/wallet/debit'));
  t.true(debits.every((request) => request.cutOff), 'the RGS closed every endless answer');
});

test("a refusal's body is not echoed: only a well-formed code is kept, else HTTP_<status>", async (t) => {
  const { bet, debit, client } = await betAgainst('refusal with a body');
  t.like(bet, { status: 'rejected', rejectReason: 'HTTP_402', payout: 0 });
  t.is(debit.result_code, 'HTTP_402');
  const shown = JSON.stringify([
    (await client.get(`/bets/${bet.id}`)).body,
    (await db.query('SELECT data FROM events WHERE bet_id = $1', [bet.id])).rows,
    (await db.query('SELECT data FROM audit_log WHERE bet_id = $1', [bet.id])).rows,
    (await db.query('SELECT * FROM wallet_transactions WHERE bet_id = $1', [bet.id])).rows,
  ]);
  t.false(shown.includes(LEAK_MARKER), "nothing of the wallet's body beyond a code reaches views, events, audit or records");
});
