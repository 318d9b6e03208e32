import http from 'node:http';
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { Redis } from 'ioredis';
import { startCluster, TEST_ADMIN_TOKEN, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { REDIS_URL } from './support/redis.ts';
import { request, type HttpAnswer } from './support/http.ts';
import type { RunningProcess } from './support/process.ts';

// SPEC §11, "unknown keys cost little": failed authentications are limited per client
// address, cluster-wide (AUTH_FAILURES_PER_SECOND, 20 by default; 429 after); an address
// over its budget costs no key lookup; and a body is never read before its key is known.
// Client addresses are set with X-Forwarded-For, which a node believes from loopback (its
// `trust proxy`), so every test has addresses of its own. As in rate-limit.test.ts, a test
// that wants a whole burst inside one window pins the window (the counter key, created
// with a longer expiry), so no assertion depends on how fast the machine is. Tests that
// read a node-wide counter run serially.

const PER_SECOND = 20;
const PINNED_SECONDS = 60;
let cluster: TestCluster;
let redis: Redis;

test.before(async () => {
  // The product's default: the harness raises it for the other test files.
  cluster = await startCluster({ nodes: 2, nodeEnv: { AUTH_FAILURES_PER_SECOND: String(PER_SECOND) } });
  redis = new Redis(REDIS_URL);
});

test.after.always(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

let nextAddress = 1;
/** A client address no other test uses (TEST-NET-3). */
const newAddress = () => `203.0.113.${nextAddress++}`;
const from = (address: string, headers: Record<string, string> = {}) => ({ headers: { 'x-forwarded-for': address, ...headers } });

/** `address`'s failures count in one window that lasts `seconds` from now, however slow the burst that follows. */
async function pinWindow(address: string, seconds: number): Promise<void> {
  await redis.set(`${cluster.redisPrefix}auth-failures:${address}`, 0, 'EX', seconds);
}

const wrongKey = () => `rgs_${randomBytes(24).toString('hex')}`;
const statuses = (answers: HttpAnswer[]) => answers.map((answer) => answer.status);
const count = (answers: HttpAnswer[], status: number) => answers.filter((answer) => answer.status === status).length;

async function keyLookups(node: RunningProcess, result: 'found' | 'unknown'): Promise<number> {
  const metrics = await request<string>('GET', `${adminUrlOf(node)}/metrics`);
  return Number(new RegExp(`^rgs_operator_key_lookups_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(metrics.body)?.[1]);
}

test('30 wrong keys from one address: the first 20 are 401, the rest 429 RATE_LIMITED on every node, while good keys still work', async (t) => {
  const [a, b] = cluster.nodes as [RunningProcess, RunningProcess];
  const operator = await createOperator(a);
  const attacker = newAddress();
  await pinWindow(attacker, PINNED_SECONDS);
  // The operator's own traffic from that address keeps its key in each node's cache.
  for (const node of [a, b]) t.is((await operator.client(node.url).get('/limits', from(attacker))).status, 200);

  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, index) => request('GET', `${[a, b][index % 2]!.url}/limits`, from(attacker, { 'x-operator-key': wrongKey() }))),
  );
  t.is(count(answers, 401), PER_SECOND, `one budget for both nodes: ${statuses(answers).join(',')}`);
  t.is(count(answers, 429), 30 - PER_SECOND);
  const refusal = answers.find((answer) => answer.status === 429)!;
  t.is(refusal.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  t.like(refusal.body, { status: 429, code: 'RATE_LIMITED' });
  const retryAfter = Number(refusal.headers.get('retry-after'));
  t.true(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= PINNED_SECONDS, `Retry-After ${retryAfter}`);
  // Both nodes refuse the address now: a missing key too.
  for (const node of [a, b]) t.is((await request('GET', `${node.url}/limits`, from(attacker))).status, 429);

  // The good key, from the same address, on both nodes: it passes while the node has it
  // cached (a blocked address gets no key lookup). The cache lives 2 s; on a loaded machine
  // that can be over by now, so the operator's traffic from elsewhere warms it first.
  for (const node of [a, b]) {
    t.is((await operator.client(node.url).get('/limits', from(newAddress()))).status, 200);
    t.is((await operator.client(node.url).get('/limits', from(attacker))).status, 200);
  }
  // Another address keeps its own budget: a wrong key is still 401, a new operator's key works.
  const neighbour = newAddress();
  t.is((await request('GET', `${a.url}/limits`, from(neighbour, { 'x-operator-key': wrongKey() }))).status, 401);
  const newcomer = await createOperator(a);
  t.is((await newcomer.client(b.url).get('/limits', from(neighbour))).status, 200);
});

test.serial('an address over its budget costs no key lookup: its further unknown keys are refused without asking the database', async (t) => {
  const [a] = cluster.nodes as [RunningProcess];
  const attacker = newAddress();
  await pinWindow(attacker, PINNED_SECONDS);
  const burst = await Promise.all(Array.from({ length: PER_SECOND + 1 }, () => request('GET', `${a.url}/bets`, from(attacker, { 'x-operator-key': wrongKey() }))));
  t.is(count(burst, 429), 1);

  const before = await keyLookups(a, 'unknown');
  const spray = await Promise.all(Array.from({ length: 50 }, () => request('GET', `${a.url}/bets`, from(attacker, { 'x-operator-key': wrongKey() }))));
  t.deepEqual([...new Set(statuses(spray))], [429]);
  t.is(await keyLookups(a, 'unknown'), before, '50 new keys, no database lookup');
});

test.serial('an unknown key is remembered apart from the good ones: repeating it does not ask the database each time', async (t) => {
  const [a] = cluster.nodes as [RunningProcess];
  const address = newAddress();
  const key = wrongKey();
  const before = await keyLookups(a, 'unknown');
  const answers: HttpAnswer[] = [];
  for (let i = 0; i < 10; i++) answers.push(await request('GET', `${a.url}/bets`, from(address, { 'x-operator-key': key })));
  t.deepEqual([...new Set(statuses(answers))], [401]);
  const lookups = (await keyLookups(a, 'unknown')) - before;
  // Once, or again only if the machine took longer than the cache's few seconds.
  t.true(lookups >= 1 && lookups < 10, `${lookups} lookups for 10 requests with one unknown key`);
});

test('a wrong admin token counts as a failed authentication too; the right one still works from that address', async (t) => {
  const [a] = cluster.nodes as [RunningProcess];
  const admin = adminUrlOf(a);
  const address = newAddress();
  await pinWindow(address, PINNED_SECONDS);
  const answers = await Promise.all(
    Array.from({ length: 25 }, () => request('GET', `${admin}/admin/operators`, from(address, { authorization: `Bearer ${wrongKey()}` }))),
  );
  t.is(count(answers, 401), PER_SECOND);
  t.is(count(answers, 429), 5);
  t.truthy(answers.find((answer) => answer.status === 429)?.headers.get('retry-after'));
  t.is((await request('GET', `${admin}/admin/operators`, from(address, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }))).status, 200);
});

/** One request on `agent`'s connection; resolves its status and whether the connection was reused. */
function rawRequest(agent: http.Agent, url: string, options: { method: string; headers: Record<string, string>; body?: Buffer | string }) {
  return new Promise<{ status: number; body: string; reusedSocket: boolean }>((resolve, reject) => {
    const req = http.request(url, { method: options.method, headers: options.headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reusedSocket: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('a request with a bad key is refused before its body is read: malformed JSON, a wrong media type or an oversized body are 401', async (t) => {
  const [a] = cluster.nodes as [RunningProcess];
  const operator = await createOperator(a);
  const bad = (headers: Record<string, string>) => ({ ...from(newAddress(), { 'x-operator-key': wrongKey(), ...headers }).headers });
  const json = { 'content-type': 'application/json' };

  for (const path of ['/bets', '/sessions/launch', '/limits']) {
    const method = path === '/limits' ? 'PUT' : 'POST';
    const malformed = await request(method, `${a.url}${path}`, { headers: { ...bad(json), 'idempotency-key': 'k' }, body: '{"amount": 1,' });
    t.is(malformed.status, 401, `${method} ${path}, malformed JSON`);
    t.is(malformed.body.code, 'UNAUTHORIZED');
    t.is((await request(method, `${a.url}${path}`, { headers: bad({ 'content-type': 'text/plain' }), body: 'amount=1' })).status, 401, `${method} ${path}, text/plain`);
    const oversized = await request(method, `${a.url}${path}`, { headers: bad(json), body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) });
    t.is(oversized.status, 401, `${method} ${path}, 1 MiB body`);
  }
  // With the right key, the body rules apply as before.
  const malformed = await operator.client().post('/sessions/launch', '{"playerId":', { headers: json });
  t.is(malformed.status, 400);
  t.is(malformed.body.code, 'MALFORMED_JSON');
  t.is((await operator.client().post('/sessions/launch', { pad: 'x'.repeat(100 * 1024) })).status, 413);

  // The unread body is discarded: the same keep-alive connection answers the next request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const refused = await rawRequest(agent, `${a.url}/bets`, { method: 'POST', headers: { ...bad(json), 'idempotency-key': 'k' }, body: Buffer.alloc(512 * 1024, 'x') });
  t.is(refused.status, 401);
  const next = await rawRequest(agent, `${a.url}/limits`, { method: 'GET', headers: { 'x-operator-key': operator.apiKey } });
  t.is(next.status, 200, next.body);
  t.true(next.reusedSocket, 'the connection was kept');
});
