import { randomUUID } from 'node:crypto';
import test from 'ava';
import { Validator } from '@seriousme/openapi-schema-validator';
import { GAME_IDS } from '../src/games/registry.ts';
import { appRoutes } from './support/app-routes.ts';
import { startCluster, TEST_ADMIN_TOKEN, type TestCluster } from './support/cluster.ts';
import { placeBet, waitForBet } from './support/bets.ts';
import { adminClient, operatorClient, request, type HttpAnswer } from './support/http.ts';
import { openApiConformance, type OpenApiDocument } from './support/openapi-conformance.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';

// SPEC §3: GET /openapi.json is OpenAPI 3.1 generated from the zod schemas the routes parse
// with, and GET /docs renders it. Integrators generate clients from it, so it is checked
// against the app's own route table and against what a running node really answers.

let cluster: TestCluster;
let document: OpenApiDocument;

const nodeUrl = () => cluster.nodes[0]!.url;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
// The docs themselves and Bull Board (a library's UI) are the endpoints SPEC §3 leaves out;
// the players' verifier page (/verify and its assets) is a page, not API.
const isPage = (path: string, page: string) => path === page || path.startsWith(`${page}/`);
const isUndocumented = (path: string) => path === '/openapi.json' || isPage(path, '/docs') || isPage(path, '/verify') || path === '/admin/queues';
// Liveness, readiness and metrics read no input: there is no client error for them to document.
const PROBES = new Set(['/health', '/ready', '/metrics']);
const PUBLIC = new Set(['/fairness/verify', ...PROBES]);

/** Every documented operation, as `METHOD /path/{param}` with its operation object. */
function operations(): { key: string; path: string; operation: Record<string, any> }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, path, operation })),
  );
}

const resolve = (value: any): any => (value?.$ref ? document.components.schemas[value.$ref.replace('#/components/schemas/', '')] : value);

test.before(async () => {
  cluster = await startCluster();
  const answer = await request('GET', `${nodeUrl()}/openapi.json`);
  if (answer.status !== 200) throw new Error(`GET /openapi.json answered ${answer.status}`);
  document = answer.body;
});

test.after.always(async () => {
  await cluster?.stop();
});

test('GET /openapi.json is a valid OpenAPI 3.1 document', async (t) => {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
  t.deepEqual(result.errors ?? [], [], 'the document does not match the OpenAPI 3.1 schema');
  t.true(result.valid);
  t.is(validator.version, '3.1');
  t.regex(document.openapi, /^3\.1\.\d+$/);
});

test('every route the app serves is documented with its method, and the document lists nothing else', (t) => {
  const served = appRoutes()
    .filter((route) => !isUndocumented(route.path))
    .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
  t.true(served.length > 20, 'the route table lists the API');
  t.deepEqual(
    operations()
      .map((op) => op.key)
      .sort(),
    [...new Set(served)].sort(),
  );
});

test('every path parameter is declared, with the name the path uses', (t) => {
  for (const { key, path, operation } of operations()) {
    const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    const declared = (operation.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name);
    t.deepEqual(declared.sort(), inPath.sort(), key);
    t.true((operation.parameters ?? []).filter((p: any) => p.in === 'path').every((p: any) => p.required === true), key);
  }
});

test('every operation documents its client errors as problem+json', (t) => {
  const problem = document.components.schemas.Problem as any;
  t.deepEqual(problem.required.sort(), ['code', 'status', 'title', 'type']);
  t.like(problem.properties, { errors: { type: 'array' } }, 'validation problems list the bad fields');
  for (const { key, path, operation } of operations()) {
    if (PROBES.has(path)) continue;
    const clientErrors = Object.entries(operation.responses).filter(([status]) => /^4\d\d$/.test(status));
    t.true(clientErrors.length > 0, `${key} documents no 4xx answer`);
    for (const [status, response] of clientErrors as [string, any][]) {
      const schema = response.content?.['application/problem+json']?.schema;
      t.is(schema?.$ref, '#/components/schemas/Problem', `${key} → ${status} is not problem+json`);
      // The codes it can carry, as an enum a validator checks (test/contract.test.ts drives them).
      t.deepEqual(schema?.properties?.code?.enum, response.description.split(', '), `${key} → ${status} lists its codes`);
    }
  }
});

test('operator endpoints take X-Operator-Key, /admin the admin token, and fairness verify and ops are public', (t) => {
  t.like(document.components.securitySchemes, {
    operatorKey: { type: 'apiKey', in: 'header', name: 'X-Operator-Key' },
    adminBearer: { type: 'http', scheme: 'bearer' },
  });
  t.deepEqual(Object.keys(document.components.securitySchemes).sort(), ['adminBearer', 'operatorKey'], 'no Basic auth on the admin API');
  for (const { key, path, operation } of operations()) {
    if (PUBLIC.has(path)) t.is(operation.security, undefined, key);
    else if (path.startsWith('/admin/')) t.deepEqual(operation.security, [{ adminBearer: [] }], key);
    else t.deepEqual(operation.security, [{ operatorKey: [] }], key);
    if (!PUBLIC.has(path)) t.truthy(operation.responses['401'], `${key} documents its 401`);
  }
});

test('POST /bets documents its required Idempotency-Key, an integer amount, and 201 or 202 with the bet', (t) => {
  const placeBet = document.paths['/bets']?.post as any;
  t.truthy(placeBet);
  const key = placeBet.parameters.find((p: any) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
  t.like(key, { required: true, schema: { type: 'string', maxLength: 255 } });

  t.true(placeBet.requestBody.required);
  // One body per game of the registry, each with that game's params.
  const bodies = resolve(placeBet.requestBody.content['application/json'].schema).oneOf.map(resolve);
  t.deepEqual(bodies.map((body: any) => body.properties.game.enum), GAME_IDS.map((id) => [id]));
  for (const body of bodies) {
    t.deepEqual(body.required.sort(), ['amount', 'game', 'params', 'sessionToken']);
    t.like(body.properties.amount, { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
    t.false(body.additionalProperties, 'an unknown field is refused');
    t.false(body.properties.params.additionalProperties, 'an unknown param is refused');
  }

  const bet = { $ref: '#/components/schemas/Bet' };
  t.deepEqual(placeBet.responses['201'].content['application/json'].schema, bet);
  t.deepEqual(placeBet.responses['202'].content['application/json'].schema, bet);
  t.like(placeBet.responses['202'].headers, { Location: { required: true } });
  for (const status of ['400', '401', '403', '409', '413', '415', '422', '429']) t.truthy(placeBet.responses[status], status);
  t.like(document.components.schemas.Bet, { properties: { amount: { type: 'integer' }, payout: { type: 'integer' } } });
});

test('the launch of a session documents the optional Idempotency-Key and a 201', (t) => {
  const launch = document.paths['/sessions/launch']?.post as any;
  t.like(
    launch.parameters.find((p: any) => p.name.toLowerCase() === 'idempotency-key'),
    { in: 'header', required: false },
  );
  t.deepEqual(launch.responses['201'].content['application/json'].schema, { $ref: '#/components/schemas/Session' });
  const stream = document.paths['/stream']?.get as any;
  t.truthy(stream.parameters.find((p: any) => p.in === 'header' && p.name.toLowerCase() === 'last-event-id'));
  t.truthy(stream.responses['200'].content['text/event-stream']);
});

test('what a running node answers is what the document says it answers', async (t) => {
  const { mismatches } = openApiConformance(document);
  const checked: string[] = [];
  const check = (method: string, path: string, answer: HttpAnswer) => {
    checked.push(`${method} ${path} ${answer.status}`);
    t.deepEqual(mismatches(method, path, answer), []);
  };
  const url = nodeUrl();
  // SPEC §2: the admin API and /metrics are on the admin listener.
  const adminUrl = adminUrlOf(cluster.nodes[0]!);
  const admin = adminClient(adminUrl, TEST_ADMIN_TOKEN);

  // Admin API. The operator gets a webhook URL nobody answers, so deliveries exist to list.
  const created = await admin.post('/admin/operators', { name: `openapi-${randomUUID()}`, webhookUrl: 'http://127.0.0.1:9/hooks' });
  check('POST', '/admin/operators', created);
  const operatorId = created.body.id;
  check('GET', '/admin/operators', await admin.get('/admin/operators'));
  check('GET', '/admin/operators/{id}', await admin.get(`/admin/operators/${operatorId}`));
  check('PATCH', '/admin/operators/{id}', await admin.patch(`/admin/operators/${operatorId}`, { rateLimitPerSecond: 10_000 }));
  check('GET', '/admin/operators/{id}', await admin.get(`/admin/operators/${randomUUID()}`));
  check('GET', '/admin/operators', await request('GET', `${adminUrl}/admin/operators`));
  const other = await createOperator(cluster.nodes[0]!);
  check('POST', '/admin/operators/{id}/keys/rotate', await admin.post(`/admin/operators/${other.id}/keys/rotate`));

  const operator = operatorClient(url, created.body.apiKey);
  const playerId = `player-${randomUUID()}`;
  const newKey = () => ({ headers: { 'idempotency-key': randomUUID() } });
  const params = { target: 50, direction: 'over' };

  // Sessions, bets, rounds, fairness.
  const launched = await operator.post('/sessions/launch', { playerId, currency: 'EUR', jurisdiction: 'MT' }, newKey());
  check('POST', '/sessions/launch', launched);
  const token = launched.body.sessionToken;
  check('GET', '/sessions/{token}', await operator.get(`/sessions/${token}`));
  check('GET', '/sessions/{token}', await operator.get('/sessions/not-a-uuid'));

  const placed = await placeBet(operator, token, 100, params);
  check('POST', '/bets', placed);
  const betId = placed.body.id;
  check('POST', '/bets', await operator.post('/bets', { sessionToken: token, amount: 1.5, game: 'dice', params, extra: 1 }, newKey()));
  check('POST', '/bets', await operator.post('/bets', 'amount=100', { headers: { ...newKey().headers, 'content-type': 'text/plain' } }));
  check('POST', '/bets', await request('POST', `${url}/bets`, { body: {} }));
  check('GET', '/bets/{id}', await operator.get(`/bets/${betId}`));
  check('GET', '/bets/{id}', await operator.get(`/bets/${randomUUID()}`));
  check('GET', '/bets', await operator.get(`/bets?playerId=${playerId}&limit=5`));
  check('GET', '/bets', await operator.get('/bets?limit=0'));
  // Seeds rotate only once the bet is settled: a 202 on a slow machine is waited out.
  await waitForBet(operator, betId, undefined, 60_000);
  check('GET', '/rounds/{id}', await operator.get(`/rounds/${placed.body.roundId}`));
  check('GET', '/players/{playerId}/rounds', await operator.get(`/players/${playerId}/rounds`));
  check('GET', '/players/{playerId}/rounds', await operator.get(`/players/nobody-${randomUUID()}/rounds`));
  const rotated = await operator.post(`/sessions/${token}/seeds/rotate`, { clientSeed: 'my-new-seed' });
  check('POST', '/sessions/{token}/seeds/rotate', rotated);
  check('GET', '/rounds/{id}', await operator.get(`/rounds/${placed.body.roundId}`));
  const { serverSeed, clientSeed } = rotated.body.previous;
  const verify = new URLSearchParams({ game: 'dice', serverSeed, clientSeed, nonce: '0' });
  check('GET', '/fairness/verify', await request('GET', `${url}/fairness/verify?${verify}`));
  check('GET', '/fairness/verify', await request('GET', `${url}/fairness/verify?game=poker`));
  check('POST', '/sessions/{token}/revoke', await operator.post(`/sessions/${token}/revoke`));
  check('POST', '/bets', await placeBet(operator, token, 100, params));

  // Reconciliation, audit, limits, outbox, webhooks.
  check('GET', '/transactions', await operator.get(`/transactions?playerId=${playerId}`));
  check('GET', '/audit', await operator.get('/audit?limit=50'));
  check('GET', '/audit', await operator.get('/audit?from=yesterday'));
  check('PUT', '/limits', await operator.put('/limits', { blockedJurisdictions: ['US'], currencies: { EUR: { maxBet: 10_000 } } }));
  check('PUT', '/limits', await operator.put('/limits', { currencies: { euro: {} } }));
  check('GET', '/limits', await operator.get('/limits'));
  check('GET', '/outbox', await operator.get('/outbox'));
  check('POST', '/outbox/{id}/retry', await operator.post(`/outbox/${randomUUID()}/retry`));
  let deliveries = await operator.get('/webhooks/deliveries');
  for (const deadline = Date.now() + 60_000; deliveries.body.items?.length === 0 && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    deliveries = await operator.get('/webhooks/deliveries');
  }
  check('GET', '/webhooks/deliveries', deliveries);
  t.true(deliveries.body.items.length > 0, 'the launch and the bet made webhook deliveries');
  check('POST', '/webhooks/deliveries/{id}/redeliver', await operator.post(`/webhooks/deliveries/${deliveries.body.items[0].id}/redeliver`));
  check('GET', '/webhooks/deliveries', await operator.get('/webhooks/deliveries?status=lost'));

  // The event stream: only its status and media type (it never ends by itself).
  const aborter = new AbortController();
  const stream = await fetch(`${url}/stream`, { headers: { 'x-operator-key': created.body.apiKey }, signal: aborter.signal });
  aborter.abort();
  check('GET', '/stream', { status: stream.status, headers: stream.headers, body: '' });
  check('GET', '/stream', await request('GET', `${url}/stream`));

  // Ops.
  check('GET', '/health', await request('GET', `${url}/health`));
  check('GET', '/ready', await request('GET', `${url}/ready`));
  check('GET', '/metrics', await request('GET', `${adminUrl}/metrics`));

  t.true(checked.length > 40, 'the flow exercised the API');
});

test('GET /docs is a page of this origin only, whose assets the node serves', async (t) => {
  const page = await request('GET', `${nodeUrl()}/docs`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  t.regex(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.notRegex(page.body, /https?:\/\//, 'no CDN: the page loads nothing from elsewhere');
  const assets = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
  t.true(assets.includes('/docs/swagger-ui-bundle.js'));
  for (const asset of assets) {
    const answer = await fetch(`${nodeUrl()}${asset}`);
    t.is(answer.status, 200, asset);
    await answer.arrayBuffer();
  }
  t.not((await request('GET', `${nodeUrl()}/docs/package.json`)).status, 200, 'only the page’s own assets are served');
});
