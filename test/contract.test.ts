import { randomUUID } from 'node:crypto';
import test from 'ava';
import { setFaults, waitForBet } from './support/bets.ts';
import { startCluster, TEST_ADMIN_TOKEN, type TestCluster } from './support/cluster.ts';
import { request } from './support/http.ts';
import { openApiContract, type ContractDocument, type ContractRequest } from './support/openapi-contract.ts';
import { adminUrlOf } from './support/operators.ts';
import type { RunningProcess } from './support/process.ts';

// Issue #22 point 2: the contract suite. Every operation of the served /openapi.json is
// driven against real nodes — its success answer and each error status it documents — and
// every request and answer is judged by a standard JSON Schema 2020-12 validator compiled
// from that document alone (test/support/openapi-contract.ts), never by the product's zod.
// A request the server is meant to refuse must be one the document refuses too, unless the
// rule is one the document says it cannot express. A problem's `code` must be one the
// document lists for that operation and status (an `enum` on each error answer).

/** Documented answers this suite does not drive, and why. An entry that is driven, or no longer documented, fails the suite. */
const NOT_DRIVEN: Record<string, string> = {
  'POST /bets 409': 'REQUEST_IN_PROGRESS lasts only while another request with the key is inside its placement transaction (milliseconds)',
  'POST /bets 503': 'SEED_ROTATING lasts only while a rotation of the same seed pair commits (a race, not a state to set up)',
  'GET /ready 503': 'needs Postgres or Redis down, which would stop the rest of this suite; test/shutdown.test.ts covers not_ready',
};

let cluster: TestCluster;
/** A node whose failed-authentication budget is 1 a second, so a second wrong key gets 429 (SPEC §11). */
let strictNode: RunningProcess;
let document: ContractDocument;
let contract: ReturnType<typeof openApiContract>;
let operatorKey: string;
/** The statuses each operation was seen answering, as `METHOD /path status`. */
const driven = new Set<string>();

type Auth = 'operator' | 'admin' | 'none' | 'wrong';

interface Exchange extends ContractRequest {
  /** `METHOD /path/{param}` as the document names it; path parameters go in `params`, already percent-encoded. */
  op: string;
  status: number | number[];
  code?: string;
  /** An object is sent as JSON. */
  json?: unknown;
  auth?: Auth;
  node?: RunningProcess;
  /**
   * What the document must say of the request: `valid` (the default below 400 and for refusals
   * of a well-formed request), `refused` (a malformed one), or `unchecked` where the server
   * refuses for a reason the document says it cannot express (a size, a decimal count).
   */
  request?: 'valid' | 'refused' | 'unchecked';
  /** Read only the status and headers of an endless answer (the event stream), then let it go. */
  stream?: boolean;
}

interface Exchanged {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

const MALFORMED_STATUSES = new Set([400, 413, 415]);

/** Drives one exchange and records what the document says is wrong with it. */
function exchanger(failures: string[]) {
  return async function exchange(spec: Exchange): Promise<Exchanged> {
    const [method, template] = spec.op.split(' ') as [string, string];
    const { operation } = contract.operationOf(spec.op);
    const auth = spec.auth ?? (operation.security?.[0]?.adminBearer ? 'admin' : operation.security ? 'operator' : 'none');
    const headers: Record<string, string> = { ...spec.headers };
    if (auth === 'operator') headers['x-operator-key'] = operatorKey;
    if (auth === 'admin') headers.authorization = `Bearer ${TEST_ADMIN_TOKEN}`;
    if (auth === 'wrong') headers[template.startsWith('/admin/') ? 'authorization' : 'x-operator-key'] = template.startsWith('/admin/') ? 'Bearer wrong' : 'wrong-key';
    const body = spec.json === undefined ? spec.body : { contentType: 'application/json', text: JSON.stringify(spec.json) };
    if (body) headers['content-type'] = body.contentType;
    const sent: ContractRequest = { params: spec.params, query: spec.query, headers, body };

    const expected = [spec.status].flat();
    const where = `${spec.op} → ${expected.join('|')}`;
    const requestCheck = spec.request ?? (expected.some((status) => MALFORMED_STATUSES.has(status)) ? 'refused' : 'valid');
    const violations = contract.requestViolations(spec.op, sent, expected.join('|'));
    if (requestCheck === 'valid') failures.push(...violations);
    if (requestCheck === 'refused' && violations.length === 0) failures.push(`${where}: the document accepts ${JSON.stringify(sent)}, which the server refuses`);

    const node = spec.node ?? cluster.nodes[0]!;
    const onAdminListener = template.startsWith('/admin/') || template === '/metrics';
    const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => spec.params?.[name] ?? `{${name}}`);
    const query = spec.query ? `?${new URLSearchParams(spec.query)}` : '';
    const aborter = new AbortController();
    const response = await fetch(`${onAdminListener ? adminUrlOf(node) : node.url}${path}${query}`, {
      method,
      headers,
      body: body?.text,
      signal: aborter.signal,
    });
    let text = '';
    if (spec.stream && response.status === 200) aborter.abort();
    else text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    driven.add(`${spec.op} ${response.status}`);
    if (!expected.includes(response.status)) failures.push(`${where}: answered ${response.status} ${text.slice(0, 300)}`);
    if (spec.code !== undefined && (parsed as { code?: unknown } | undefined)?.code !== spec.code) failures.push(`${where}: code is not ${spec.code}: ${text.slice(0, 300)}`);
    failures.push(...contract.answerViolations(spec.op, { status: response.status, headers: response.headers, text }));
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
}

// A valid value for each path parameter name, and a valid request for each operation that
// needs one, so a probe changes one thing only.
const SAMPLE_PARAMS: Record<string, () => string> = { id: randomUUID, token: randomUUID, playerId: () => 'contract-player' };
const SAMPLE_BODIES: Record<string, unknown> = {
  'POST /sessions/launch': { playerId: 'contract-player', currency: 'EUR', jurisdiction: 'MT' },
  'POST /bets': { sessionToken: randomUUID(), amount: 100, game: 'dice', params: { target: 50, direction: 'over' } },
  'PUT /limits': {},
  'POST /admin/operators': { name: 'contract-sample' },
  'PATCH /admin/operators/{id}': { rateLimitPerSecond: 1000 },
};
/** Params of a bet on each game (GET /games lists them with their JSON Schema). */
const GAME_PARAMS: Record<string, unknown> = { dice: { target: 50, direction: 'over' }, 'lucky-dice': {} };
const SAMPLE_QUERIES: Record<string, Record<string, string>> = {
  'GET /fairness/verify': { game: 'dice', serverSeed: '0'.repeat(64), clientSeed: 'seed', nonce: '0' },
};

/** A request of `op` valid in every part, for probes that change one thing. */
function sample(op: string): Pick<Exchange, 'params' | 'query' | 'headers' | 'json'> {
  const { operation } = contract.operationOf(op);
  const params = Object.fromEntries(
    (operation.parameters ?? [])
      .filter((parameter) => parameter.in === 'path')
      .map((parameter) => {
        const value = SAMPLE_PARAMS[parameter.name];
        if (!value) throw new Error(`${op}: no sample for path parameter ${parameter.name}; add one to SAMPLE_PARAMS`);
        return [parameter.name, value()];
      }),
  );
  const takesKey = (operation.parameters ?? []).some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key');
  return {
    params,
    ...(SAMPLE_QUERIES[op] && { query: SAMPLE_QUERIES[op] }),
    ...(takesKey && { headers: { 'idempotency-key': randomUUID() } }),
    ...(SAMPLE_BODIES[op] !== undefined && { json: SAMPLE_BODIES[op] }),
  };
}

/**
 * Requests of `op` the server refuses with 400 VALIDATION_FAILED, each changing one part of a
 * valid one: a path parameter, a query parameter, a body field. Sent whether or not the
 * document lists the 400, so an undocumented refusal fails the suite.
 */
function invalidSamples(op: string): Exchange[] {
  const valid = sample(op);
  const { operation } = contract.operationOf(op);
  const parameters = operation.parameters ?? [];
  const probes: Exchange[] = [];
  const uuidParam = parameters.find((parameter) => parameter.in === 'path' && parameter.schema?.format === 'uuid');
  if (uuidParam) probes.push({ ...valid, op, status: 400, params: { ...valid.params, [uuidParam.name]: 'not-a-uuid' } });
  if (op === 'GET /players/{playerId}/rounds') probes.push({ ...valid, op, status: 400, params: { playerId: '%20padded' } });
  if (parameters.some((parameter) => parameter.in === 'query' && parameter.name === 'limit')) probes.push({ ...valid, op, status: 400, query: { ...valid.query, limit: '0' } });
  // OpenAPI cannot close a query to other parameters: the info description says the server does.
  if (parameters.some((parameter) => parameter.in === 'query')) probes.push({ ...valid, op, status: 400, query: { ...valid.query, unknownParam: '1' }, request: 'unchecked' });
  if (op === 'GET /fairness/verify') probes.push({ ...valid, op, status: 400, query: { ...valid.query, nonce: '-1' } });
  if (op === 'GET /stream') probes.push({ ...valid, op, status: 400, query: { types: 'Bet.Won' } });
  if (TAKES_BODY.has(op.split(' ')[0]!)) probes.push({ ...valid, op, status: 400, json: { ...(valid.json as object), unknownField: 1 } });
  return probes;
}

/** Methods whose requests src/http/json-body.ts reads a body of, whether or not the route wants one. */
const TAKES_BODY = new Set(['POST', 'PUT', 'PATCH']);

const hasPathParams = (op: string) => (contract.operationOf(op).operation.parameters ?? []).some((parameter) => parameter.in === 'path');

test.before(async () => {
  cluster = await startCluster({ nodeEnv: { SSE_MAX_CLIENTS_PER_OPERATOR: '1', BET_RESPONSE_WAIT_MS: '1000', BET_RETRY_BASE_MS: '50', BET_RETRY_MAX_MS: '200' } });
  strictNode = await cluster.addNode('node-strict', { AUTH_FAILURES_PER_SECOND: '1' });
  const answer = await request('GET', `${cluster.nodes[0]!.url}/openapi.json`);
  if (answer.status !== 200) throw new Error(`GET /openapi.json answered ${answer.status}`);
  document = answer.body;
  contract = openApiContract(document);
  const created = await request('POST', `${adminUrlOf(cluster.nodes[0]!)}/admin/operators`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    // A webhook URL nobody answers: the launch and the bets make deliveries to list and redeliver.
    body: { name: `contract-${randomUUID()}`, webhookUrl: 'http://127.0.0.1:9/hooks' },
  });
  operatorKey = created.body.apiKey;
});

test.after.always(async () => {
  await cluster?.stop();
});

test.serial('every operation refuses a bad request, credential or body with a status and code its document lists', async (t) => {
  const failures: string[] = [];
  const exchange = exchanger(failures);
  for (const op of contract.operations()) {
    const { operation } = contract.operationOf(op);
    if (operation.security) {
      await exchange({ ...sample(op), op, status: 401, code: 'UNAUTHORIZED', auth: 'none' });
      // The strict node's budget of failed authentications is 1 a second, counted per address.
      let answer: Exchanged | undefined;
      for (let attempt = 0; attempt < 5 && answer?.status !== 429; attempt++) {
        answer = await exchange({ ...sample(op), op, status: [401, 429], auth: 'wrong', node: strictNode });
      }
      if (answer?.status !== 429) failures.push(`${op} → 429: a repeated wrong key was never refused with 429`);
      else if (answer.body.code !== 'RATE_LIMITED') failures.push(`${op} → 429: code ${answer.body.code}`);
    }
    for (const probe of invalidSamples(op)) await exchange({ ...probe, code: 'VALIDATION_FAILED' });
    if (hasPathParams(op)) {
      const valid = sample(op);
      const [first] = Object.keys(valid.params ?? {});
      await exchange({ ...valid, op, status: 400, code: 'MALFORMED_PATH', params: { ...valid.params, [first!]: '%E0%A4%A' } });
    }
    if (TAKES_BODY.has(op.split(' ')[0]!)) {
      const valid = sample(op);
      await exchange({ ...valid, op, json: undefined, status: 400, code: 'MALFORMED_JSON', body: { contentType: 'application/json', text: '{"amount":' } });
      await exchange({ ...valid, op, json: undefined, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', body: { contentType: 'text/plain', text: 'amount=100' } });
      // Larger than BODY_LIMIT_BYTES (64 KiB): a size the document does not state.
      const huge = JSON.stringify({ padding: 'x'.repeat(70 * 1024) });
      await exchange({ ...valid, op, json: undefined, status: 413, code: 'PAYLOAD_TOO_LARGE', body: { contentType: 'application/json', text: huge }, request: 'unchecked' });
    }
  }
  t.deepEqual(failures, []);
});

test.serial('the admin API answers as documented', async (t) => {
  const failures: string[] = [];
  const exchange = exchanger(failures);
  const name = `contract-admin-${randomUUID()}`;
  const created = await exchange({ op: 'POST /admin/operators', status: 201, json: { name: `  ${name}  `, walletUrl: 'https://wallet.example.com/api', walletSecret: 'a-wallet-secret-0123' } });
  t.is(created.body?.name, name, 'the name is trimmed');
  const id = created.body?.id as string;
  await exchange({ op: 'POST /admin/operators', status: 409, code: 'OPERATOR_EXISTS', json: { name } });
  // Issue #22: the refusals the document used to miss.
  await exchange({ op: 'POST /admin/operators', status: 400, code: 'VALIDATION_FAILED', json: { name: 'x', webhookUrl: 'ftp://example.com/hooks' } });
  await exchange({ op: 'POST /admin/operators', status: 400, code: 'VALIDATION_FAILED', json: { name: 'x', webhookUrl: 'urn:isbn:0451450523' } });
  await exchange({ op: 'POST /admin/operators', status: 400, code: 'VALIDATION_FAILED', json: { name: '   ' } });
  await exchange({ op: 'POST /admin/operators', status: 400, code: 'VALIDATION_FAILED', json: { name: 'bell\u0007' } });
  // Lengths are characters for both: 15 emoji are 30 UTF-16 units, still too short a secret.
  await exchange({ op: 'POST /admin/operators', status: 400, code: 'VALIDATION_FAILED', json: { name: 'x', webhookUrl: 'https://h.example.com', webhookSecret: '🔑'.repeat(15) } });
  await exchange({ op: 'PATCH /admin/operators/{id}', status: 200, params: { id }, json: { webhookUrl: 'https://h.example.com', webhookSecret: '🔑'.repeat(200) } });
  await exchange({ op: 'GET /admin/operators', status: 200 });
  await exchange({ op: 'GET /admin/operators/{id}', status: 200, params: { id } });
  await exchange({ op: 'GET /admin/operators/{id}', status: 404, code: 'NOT_FOUND', params: { id: randomUUID() } });
  await exchange({ op: 'PATCH /admin/operators/{id}', status: 200, params: { id }, json: { webhookUrl: null, rateLimitPerSecond: 5000 } });
  await exchange({ op: 'PATCH /admin/operators/{id}', status: 404, code: 'NOT_FOUND', params: { id: randomUUID() }, json: { rateLimitPerSecond: 5000 } });
  const other = await exchange({ op: 'POST /admin/operators', status: 201, json: { name: `contract-other-${randomUUID()}` } });
  await exchange({ op: 'PATCH /admin/operators/{id}', status: 409, code: 'OPERATOR_EXISTS', params: { id: other.body?.id }, json: { name } });
  await exchange({ op: 'POST /admin/operators/{id}/keys/rotate', status: 200, params: { id: other.body?.id } });
  await exchange({ op: 'POST /admin/operators/{id}/keys/rotate', status: 200, params: { id: other.body?.id }, json: {} });
  await exchange({ op: 'POST /admin/operators/{id}/keys/rotate', status: 404, code: 'NOT_FOUND', params: { id: randomUUID() } });
  t.deepEqual(failures, []);
});

test.serial('sessions, bets, rounds, fairness, limits, the outbox and webhooks answer as documented', async (t) => {
  const failures: string[] = [];
  const exchange = exchanger(failures);
  const playerId = `contract-${randomUUID()}`;
  const launch = { playerId, currency: 'EUR', jurisdiction: 'MT' };
  const launchKey = randomUUID();

  const launched = await exchange({ op: 'POST /sessions/launch', status: 201, headers: { 'idempotency-key': launchKey }, json: launch });
  const token = launched.body?.sessionToken as string;
  await exchange({ op: 'POST /sessions/launch', status: 422, code: 'IDEMPOTENCY_KEY_REUSED', headers: { 'idempotency-key': launchKey }, json: { ...launch, currency: 'USD' } });
  await exchange({ op: 'GET /sessions/{token}', status: 200, params: { token } });
  await exchange({ op: 'GET /sessions/{token}', status: 404, code: 'NOT_FOUND', params: { token: randomUUID() } });

  // Bets: the answer, its replay under the same key, and the refusals.
  const bet = (params: unknown, amount = 100, sessionToken = token) => ({ sessionToken, amount, game: 'dice', params });
  const betKey = randomUUID();
  const placed = await exchange({ op: 'POST /bets', status: [201, 202], headers: { 'idempotency-key': betKey }, json: bet({ target: 50, direction: 'over' }) });
  const replayed = await exchange({ op: 'POST /bets', status: [201, 202], headers: { 'idempotency-key': betKey }, json: bet({ target: 50, direction: 'over' }) });
  t.is(replayed.body?.id, placed.body?.id, 'the same Idempotency-Key and body give the first bet');
  await exchange({ op: 'POST /bets', status: 422, code: 'IDEMPOTENCY_KEY_REUSED', headers: { 'idempotency-key': betKey }, json: bet({ target: 60, direction: 'over' }) });
  const key = () => ({ 'idempotency-key': randomUUID() });
  await exchange({ op: 'POST /bets', status: 404, code: 'NOT_FOUND', headers: key(), json: bet({ target: 50, direction: 'over' }, 100, randomUUID()) });
  // Issue #22: the win chance per direction is in the document; "at most 2 decimals" only in its description.
  await exchange({ op: 'POST /bets', status: 400, code: 'VALIDATION_FAILED', headers: key(), json: bet({ target: 99, direction: 'under' }) });
  await exchange({ op: 'POST /bets', status: 400, code: 'VALIDATION_FAILED', headers: key(), json: bet({ target: 1, direction: 'over' }) });
  await exchange({ op: 'POST /bets', status: 400, code: 'VALIDATION_FAILED', headers: key(), json: bet({ target: 50.123, direction: 'over' }), request: 'unchecked' });
  await exchange({ op: 'POST /bets', status: 400, code: 'PAYOUT_TOO_LARGE', headers: key(), json: bet({ target: 0.01, direction: 'under' }, Number.MAX_SAFE_INTEGER), request: 'valid' });
  // A bet on every game the document offers, so each game's params and outcome are held to it.
  const offered = contract.operationOf('POST /bets').operation.requestBody?.content?.['application/json']?.schema as { oneOf?: { properties: { game: { enum: string[] } } }[] };
  const games = (offered.oneOf ?? []).flatMap((body) => body.properties.game.enum);
  t.deepEqual(games.filter((game) => !(game in GAME_PARAMS)), [], 'every game of the document has sample params in GAME_PARAMS');
  for (const game of games) {
    await exchange({ op: 'POST /bets', status: [201, 202], headers: key(), json: { sessionToken: token, amount: 100, game, params: GAME_PARAMS[game] } });
  }
  const betId = placed.body?.id as string;
  await exchange({ op: 'GET /bets/{id}', status: 200, params: { id: betId } });
  await exchange({ op: 'GET /bets/{id}', status: 404, code: 'NOT_FOUND', params: { id: randomUUID() } });
  await exchange({ op: 'GET /bets', status: 200, query: { playerId, limit: '5' } });

  const operator = { get: (path: string) => request('GET', `${cluster.nodes[0]!.url}${path}`, { headers: { 'x-operator-key': operatorKey } }) };
  await waitForBet(operator as never, betId, undefined, 30_000);
  await exchange({ op: 'GET /rounds/{id}', status: 200, params: { id: placed.body?.roundId } });
  await exchange({ op: 'GET /rounds/{id}', status: 404, code: 'NOT_FOUND', params: { id: randomUUID() } });
  await exchange({ op: 'GET /players/{playerId}/rounds', status: 200, params: { playerId: encodeURIComponent(playerId) } });
  await exchange({ op: 'GET /players/{playerId}/rounds', status: 404, code: 'NOT_FOUND', params: { playerId: `nobody-${randomUUID()}` } });

  // A won bet whose credit fails stays credit_pending: seeds cannot rotate, and the outbox retries it.
  await setFaults(cluster.wallet.url, { credit: { errorRate: 1 } });
  let pending: Exchanged | undefined;
  for (let attempt = 0; attempt < 5 && pending?.body?.status !== 'credit_pending'; attempt++) {
    pending = await exchange({ op: 'POST /bets', status: [201, 202], headers: key(), json: bet({ target: 98, direction: 'under' }) });
    if (pending.status === 202) pending = { ...pending, body: await waitForBet(operator as never, pending.body.id, new Set(['credit_pending', 'lost'])) };
  }
  t.is(pending?.body?.status, 'credit_pending', 'a won bet waits for its credit');
  await exchange({ op: 'POST /sessions/{token}/seeds/rotate', status: 409, code: 'BETS_IN_PROGRESS', params: { token } });
  await exchange({ op: 'GET /outbox', status: 200 });
  await exchange({ op: 'POST /outbox/{id}/retry', status: 202, params: { id: pending?.body?.id } });
  await setFaults(cluster.wallet.url, {});
  await waitForBet(operator as never, pending?.body?.id, undefined, 30_000);
  await exchange({ op: 'POST /outbox/{id}/retry', status: 409, code: 'NOT_RETRYABLE', params: { id: pending?.body?.id } });
  await exchange({ op: 'POST /outbox/{id}/retry', status: 404, code: 'NOT_FOUND', params: { id: randomUUID() } });

  const rotated = await exchange({ op: 'POST /sessions/{token}/seeds/rotate', status: 200, params: { token }, json: { clientSeed: 'contract seed' } });
  await exchange({ op: 'POST /sessions/{token}/seeds/rotate', status: 200, params: { token } });
  await exchange({ op: 'POST /sessions/{token}/seeds/rotate', status: 404, code: 'NOT_FOUND', params: { token: randomUUID() } });
  const previous = rotated.body?.previous ?? {};
  await exchange({ op: 'GET /fairness/verify', status: 200, query: { game: 'dice', serverSeed: previous.serverSeed, clientSeed: previous.clientSeed, nonce: '0' } });

  // A slow debit: the bet is answered 202 with its Location before its money is decided.
  // Slower than BET_RESPONSE_WAIT_MS (1 s), faster than WALLET_TIMEOUT_MS (2 s): the debit succeeds late.
  await setFaults(cluster.wallet.url, { debit: { latencyMs: 1500 } });
  const slow = await exchange({ op: 'POST /bets', status: 202, headers: key(), json: bet({ target: 50, direction: 'over' }) });
  t.is(slow.headers.get('location'), `/bets/${slow.body?.id}`);
  await setFaults(cluster.wallet.url, {});
  await waitForBet(operator as never, slow.body?.id, undefined, 30_000);

  await exchange({ op: 'POST /sessions/{token}/revoke', status: 200, params: { token } });
  await exchange({ op: 'POST /sessions/{token}/revoke', status: 404, code: 'NOT_FOUND', params: { token: randomUUID() }, json: {} });
  await exchange({ op: 'POST /bets', status: 403, code: 'SESSION_REVOKED', headers: key(), json: bet({ target: 50, direction: 'over' }) });
  await exchange({ op: 'POST /sessions/{token}/seeds/rotate', status: 403, code: 'SESSION_REVOKED', params: { token } });

  // Limits. Issue #22: lowercase currency keys and repeated jurisdictions are refused by both.
  await exchange({ op: 'PUT /limits', status: 400, code: 'VALIDATION_FAILED', json: { currencies: { eur: {} } } });
  await exchange({ op: 'PUT /limits', status: 400, code: 'VALIDATION_FAILED', json: { blockedJurisdictions: ['US', 'US'] } });
  await exchange({ op: 'PUT /limits', status: 200, json: { blockedJurisdictions: ['US'], currencies: { EUR: { maxBet: 10_000 } } } });
  await exchange({ op: 'GET /limits', status: 200 });
  await exchange({ op: 'POST /sessions/launch', status: 403, code: 'JURISDICTION_BLOCKED', headers: key(), json: { ...launch, jurisdiction: 'US' } });
  await exchange({ op: 'PUT /limits', status: 200, json: {} });

  await exchange({ op: 'GET /transactions', status: 200, query: { playerId } });
  await exchange({ op: 'GET /audit', status: 200, query: { limit: '50', from: '2024-01-01T00:00:00Z' } });
  let deliveries = await exchange({ op: 'GET /webhooks/deliveries', status: 200 });
  for (const deadline = Date.now() + 30_000; (deliveries.body?.items?.length ?? 0) === 0 && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    deliveries = await exchange({ op: 'GET /webhooks/deliveries', status: 200 });
  }
  await exchange({ op: 'POST /webhooks/deliveries/{id}/redeliver', status: 202, params: { id: deliveries.body?.items?.[0]?.id } });
  await exchange({ op: 'POST /webhooks/deliveries/{id}/redeliver', status: 404, code: 'NOT_FOUND', params: { id: randomUUID() } });
  t.deepEqual(failures, []);
});

test.serial('the event stream and the ops endpoints answer as documented', async (t) => {
  const failures: string[] = [];
  const exchange = exchanger(failures);
  // SSE_MAX_CLIENTS_PER_OPERATOR is 1 on this node: a second stream is refused while the first is open.
  const aborter = new AbortController();
  const first = await fetch(`${cluster.nodes[0]!.url}/stream`, { headers: { 'x-operator-key': operatorKey }, signal: aborter.signal });
  t.is(first.status, 200);
  await exchange({ op: 'GET /stream', status: 429, code: 'TOO_MANY_STREAMS' });
  aborter.abort();
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await exchange({ op: 'GET /stream', status: [200, 429], stream: true })).status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The per-operator request limit (src/http/rate-limit.ts) answers 429 RATE_LIMITED with Retry-After too.
  const limited = await request('POST', `${adminUrlOf(cluster.nodes[0]!)}/admin/operators`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    body: { name: `contract-limited-${randomUUID()}`, rateLimitPerSecond: 1 },
  });
  let answer: Exchanged | undefined;
  for (let attempt = 0; attempt < 10 && answer?.status !== 429; attempt++) {
    answer = await exchange({ op: 'GET /limits', status: [200, 429], headers: { 'x-operator-key': limited.body.apiKey }, auth: 'none' });
  }
  t.is(answer?.status, 429, 'an operator over its rateLimitPerSecond is refused');
  await exchange({ op: 'GET /health', status: 200 });
  await exchange({ op: 'GET /ready', status: 200 });
  await exchange({ op: 'GET /metrics', status: 200 });
  t.deepEqual(failures, []);
});

test.serial('every GET that needs no input answers its documented success, so a new list or read is covered at once', async (t) => {
  const failures: string[] = [];
  const exchange = exchanger(failures);
  for (const op of contract.operations()) {
    const { operation } = contract.operationOf(op);
    const needsInput = (operation.parameters ?? []).some((parameter) => parameter.in === 'path' || parameter.required);
    // The stream never ends by itself: it has its own test above.
    if (!op.startsWith('GET ') || needsInput || op === 'GET /stream') continue;
    const success = Object.keys(operation.responses).filter((status) => /^2\d\d$/.test(status)).map(Number);
    await exchange({ op, status: success });
  }
  t.deepEqual(failures, []);
});

test.serial('every documented answer of every operation was driven, or is listed as not driven with a reason', (t) => {
  const documented = contract.operations().flatMap((op) => Object.keys(contract.operationOf(op).operation.responses).map((status) => `${op} ${status}`));
  t.deepEqual(
    documented.filter((answer) => !driven.has(answer) && !(answer in NOT_DRIVEN)),
    [],
    'documented answers no test drove',
  );
  t.deepEqual(
    Object.keys(NOT_DRIVEN).filter((answer) => driven.has(answer) || !documented.includes(answer)),
    [],
    'NOT_DRIVEN entries that were driven after all, or are no longer documented',
  );
});
