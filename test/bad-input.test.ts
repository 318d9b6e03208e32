import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, TEST_ADMIN_TOKEN, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { request } from './support/http.ts';

// SPEC §3/§10.4: no input, however malformed, gets a 5xx or changes state. Every case
// below is sent to every endpoint it applies to; each answer must be a 4xx
// problem+json with a code, and no table's row count may change.

let cluster: TestCluster;
let db: Db;
let operatorKey: string;
let sessionToken: string;
let operatorId: string;

test.before(async () => {
  cluster = await startCluster({ nodes: 1 });
  db = await openDb(cluster.database.url, 2);
  const operator = await createOperator(cluster.nodes[0]!);
  operatorKey = operator.apiKey;
  operatorId = operator.id;
  const launched = await operator.client().post('/sessions/launch', { playerId: 'victim', currency: 'EUR', jurisdiction: 'MT' });
  sessionToken = launched.body.sessionToken;
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

async function rowCounts(): Promise<Record<string, number>> {
  const tables = await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  const counts: Record<string, number> = {};
  for (const { tablename } of tables.rows) {
    counts[tablename] = Number((await db.query(`SELECT count(*) FROM "${tablename}"`)).rows[0].count);
  }
  return counts;
}

type Auth = 'operator' | 'admin';
interface Endpoint {
  method: string;
  path: (id: string) => string;
  auth: Auth;
  takesBody: boolean;
  goodBody?: Record<string, unknown>;
}

const endpoints = (): Endpoint[] => [
  { method: 'POST', path: () => '/sessions/launch', auth: 'operator', takesBody: true, goodBody: { playerId: 'p', currency: 'EUR', jurisdiction: 'MT' } },
  { method: 'GET', path: (id) => `/sessions/${id}`, auth: 'operator', takesBody: false },
  { method: 'POST', path: (id) => `/sessions/${id}/revoke`, auth: 'operator', takesBody: false },
  { method: 'POST', path: () => '/admin/operators', auth: 'admin', takesBody: true, goodBody: { name: 'fuzzed-operator' } },
  { method: 'GET', path: (id) => `/admin/operators/${id}`, auth: 'admin', takesBody: false },
  { method: 'PATCH', path: (id) => `/admin/operators/${id}`, auth: 'admin', takesBody: true, goodBody: { walletUrl: 'https://w.example.com' } },
  { method: 'POST', path: (id) => `/admin/operators/${id}/keys/rotate`, auth: 'admin', takesBody: false },
];

const authHeaders = (auth: Auth): Record<string, string> =>
  auth === 'operator' ? { 'x-operator-key': operatorKey } : { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

// Values no field accepts.
const invalidValues: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  Number.MAX_VALUE,
  '',
  ' ',
  'x'.repeat(10_000),
  '💥🎲'.repeat(100),
  '\u0000\u0007\u001b[31m',
  'a\u0000b',
  '\ud800',
  [],
  ['a'],
  {},
  { nested: { deeper: [1, 2, 3] } },
];

// Hostile-looking strings that are nonetheless valid for some free-text fields: these may
// succeed, but must never be a 5xx.
const oddButMaybeValid: unknown[] = ['../../etc/passwd', "'; DROP TABLE operators; --", '<script>alert(1)</script>', 'ümlaut-ß-名前'];

const badIds = ['%', '%C0%AF', 'not-a-uuid', '123', '00000000-0000-0000-0000-00000000000g', 'x'.repeat(500), '%F0%9F%92%A5', '%00', "1'%20OR%20'1'='1"];

interface Case {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  expected?: number[];
  /** The request may be valid: it must only never be a 5xx. */
  mayChangeState?: boolean;
}

function casesFor(endpoint: Endpoint): Case[] {
  const headers = authHeaders(endpoint.auth);
  const idForPath = endpoint.auth === 'admin' ? operatorId : sessionToken;
  const path = endpoint.path(idForPath);
  const json = { ...headers, 'content-type': 'application/json' };
  const cases: Case[] = [];
  const name = `${endpoint.method} ${endpoint.path(':id')}`;

  // Auth: missing, wrong, absurd.
  cases.push({ name: `${name} without credentials`, method: endpoint.method, path, headers: {}, expected: [401] });
  cases.push({
    name: `${name} with a wrong credential`,
    method: endpoint.method,
    path,
    headers: endpoint.auth === 'operator' ? { 'x-operator-key': 'wrong' } : { authorization: 'Bearer wrong-token-0123456789' },
    expected: [401],
  });
  cases.push({
    name: `${name} with a huge credential`,
    method: endpoint.method,
    path,
    headers: endpoint.auth === 'operator' ? { 'x-operator-key': 'k'.repeat(4000) } : { authorization: `Bearer ${'t'.repeat(4000)}` },
    expected: [401],
  });

  // Path ids that are not ids.
  if (path.includes(idForPath)) {
    for (const badId of badIds) {
      cases.push({ name: `${name} with id ${badId.slice(0, 20)}`, method: endpoint.method, path: endpoint.path(badId), headers: json, body: endpoint.takesBody ? JSON.stringify(endpoint.goodBody) : undefined });
    }
    cases.push({ name: `${name} with an unknown id`, method: endpoint.method, path: endpoint.path('00000000-0000-4000-8000-0000000000ff'), headers: json, body: endpoint.takesBody ? JSON.stringify(endpoint.goodBody) : undefined, expected: [404] });
  }

  if (endpoint.method === 'GET') return cases;

  // Bodies that are not JSON, not objects, or too large.
  const raw = (label: string, body: string, contentType: string, expected?: number[], mayChangeState = false) =>
    cases.push({ name: `${name} ${label}`, method: endpoint.method, path, headers: { ...headers, 'content-type': contentType }, body, expected, mayChangeState });
  raw('as text/plain', 'hello', 'text/plain', [415]);
  raw('as form data', 'a=1&b=2', 'application/x-www-form-urlencoded', [415]);
  raw('as xml', '<a/>', 'application/xml', [415]);
  raw('with malformed JSON', '{"playerId":', 'application/json', [400]);
  raw('with JSON null', 'null', 'application/json', [400]);
  raw('with a JSON array', '[1,2]', 'application/json', [400]);
  raw('with a JSON string', '"text"', 'application/json', [400]);
  raw('with a JSON number', '42', 'application/json', [400]);
  raw('with a body over the limit', JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), 'application/json', [413]);
  raw('with a bad charset', '{}', 'application/json; charset=klingon', [415]);
  raw('with an unknown field', JSON.stringify({ ...endpoint.goodBody, surprise: 1 }), 'application/json', [400]);
  raw('with a prototype-pollution key', '{"__proto__":{"admin":true}}', 'application/json', [400]);

  // Every field of the good body replaced by every weird value, and left out.
  for (const field of Object.keys(endpoint.goodBody ?? {})) {
    for (const value of invalidValues) {
      // PATCH takes null to clear an optional setting: that one is a valid change.
      const valid = endpoint.method === 'PATCH' && value === null;
      raw(`with ${field}=${JSON.stringify(value)?.slice(0, 24)}`, JSON.stringify({ ...endpoint.goodBody, [field]: value }), 'application/json', valid ? [200] : [400], valid);
    }
    for (const value of oddButMaybeValid) {
      raw(`with ${field}=${JSON.stringify(value)}`, JSON.stringify({ ...endpoint.goodBody, [field]: value }), 'application/json', undefined, true);
    }
    if (endpoint.method === 'POST') {
      const { [field]: _omitted, ...rest } = endpoint.goodBody ?? {};
      raw(`without ${field}`, JSON.stringify(rest), 'application/json', [400]);
    }
  }
  return cases;
}

test('every malformed request to every endpoint is a 4xx problem+json and changes nothing', async (t) => {
  const before = await rowCounts();
  const all = endpoints().flatMap(casesFor);
  // Launch-specific header: an Idempotency-Key longer than 255 characters.
  all.push({
    name: 'launch with an oversized Idempotency-Key',
    method: 'POST',
    path: '/sessions/launch',
    headers: { ...authHeaders('operator'), 'content-type': 'application/json', 'idempotency-key': 'k'.repeat(256) },
    body: JSON.stringify({ playerId: 'p', currency: 'EUR', jurisdiction: 'MT' }),
    expected: [400],
  });
  const failures: string[] = [];
  const check = async (item: Case) => {
    // SPEC §2: the admin API is served on the admin listener.
    const base = item.path.startsWith('/admin/') ? adminUrlOf(cluster.nodes[0]!) : cluster.nodes[0]!.url;
    const answer = await request(item.method, base + item.path, { headers: item.headers, body: item.body });
    if (item.mayChangeState) {
      if (answer.status >= 500 || (item.expected && !item.expected.includes(answer.status))) {
        failures.push(`${item.name}: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 200)}`);
      }
      return;
    }
    const problem = answer.body as { code?: unknown; status?: unknown } | undefined;
    const ok =
      answer.status >= 400 &&
      answer.status < 500 &&
      (item.expected === undefined || item.expected.includes(answer.status)) &&
      answer.headers.get('content-type')?.startsWith('application/problem+json') &&
      typeof problem?.code === 'string' &&
      problem.status === answer.status;
    if (!ok) failures.push(`${item.name}: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 200)}`);
  };
  const malformed = all.filter((item) => !item.mayChangeState);
  for (const item of malformed) await check(item);
  t.deepEqual(await rowCounts(), before, 'no malformed request changed a row');
  for (const item of all.filter((item) => item.mayChangeState)) await check(item);
  t.deepEqual(failures, [], `${failures.length} of ${all.length} cases failed`);
  t.log(`${malformed.length} malformed requests: 4xx problem+json, no row changed; ${all.length - malformed.length} odd-but-valid ones: no 5xx`);
});
