import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createEmptyDatabase } from './support/database.ts';
import { createRedisPrefix, REDIS_URL } from './support/redis.ts';
import { PROJECT_ROOT } from './support/process.ts';
import { freePortBlock } from './support/local-service.ts';
import { openApiContract, type ContractDocument } from './support/openapi-contract.ts';

// Issue #22 point 4, the way a user checks it: `npm start` on a fresh database, then every
// operation of the served document called exactly as "Try it out" fills it in — its example
// parameters and body, the demo operator's key or the demo admin token — on the listener
// that serves it (the admin API and /metrics on the admin port, whose /docs tries them out).
// Each must answer the status its example answer is documented under, and the answer must
// be what the document says (ajv, compiled from the served document). Driven by the
// document: a new operation whose example names a record the demo does not have fails here.
// Then every operation a second time, as an operator pressing "Execute" again, and a second
// `npm start` on the same database, which must find the demo records and add none.

const DEMO_KEY = 'demo-alpha-key-LOCAL-ONLY';
const ADMIN_TOKEN = 'demo-admin-token-LOCAL-ONLY';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

// What a second "Execute" answers where it is not the first answer again, as docs/api-docs.md says.
const SECOND_TRY: Record<string, number> = {
  // The operator name is taken by the first try.
  createOperator: 409,
};

interface Operation {
  operationId: string;
  tags?: string[];
  parameters?: { name: string; in: string; example?: unknown }[];
  requestBody?: { content?: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, { example?: unknown }> }>;
  security?: Record<string, string[]>[];
}

interface Call {
  key: string;
  operationId: string;
  /** The status of its example answer. */
  expected: number;
  url: string;
  init: RequestInit;
}

/** Every operation of the document as "Try it out" sends it with its examples, on the listener that serves it. */
function callsOf(document: { paths: Record<string, Record<string, Operation>> }, origins: { public: string; admin: string }): Call[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => {
        const key = `${method.toUpperCase()} ${path}`;
        const [expected] = Object.entries(operation.responses).filter(([, answer]) => Object.values(answer.content ?? {}).some((content) => content.example !== undefined));
        if (!expected) throw new Error(`${key} has no example answer`);
        const headers: Record<string, string> = {};
        const query = new URLSearchParams();
        let filled = path;
        for (const parameter of operation.parameters ?? []) {
          if (parameter.example === undefined) continue;
          const value = String(parameter.example);
          if (parameter.in === 'path') filled = filled.replace(`{${parameter.name}}`, encodeURIComponent(value));
          else if (parameter.in === 'query') query.set(parameter.name, value);
          else if (parameter.in === 'header') headers[parameter.name] = value;
        }
        const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
        if (schemes.includes('operatorKey')) headers['x-operator-key'] = DEMO_KEY;
        if (schemes.includes('adminBearer')) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
        const body = operation.requestBody?.content?.['application/json']?.example;
        if (body !== undefined) headers['content-type'] = 'application/json';
        // The public port answers 404 for these (SPEC §2): their "Try it out" is the admin port's /docs.
        const admin = path.startsWith('/admin/') || path === '/metrics';
        const search = query.size > 0 ? `?${query}` : '';
        return {
          key,
          operationId: operation.operationId,
          expected: Number(expected[0]),
          url: `${admin ? origins.admin : origins.public}${filled}${search}`,
          init: { method: method.toUpperCase(), headers, body: body === undefined ? undefined : JSON.stringify(body) },
        };
      }),
  );
}

/** The answer; an event stream is read only to its first bytes (it never ends). */
async function send(call: Call): Promise<{ status: number; headers: Headers; text: string }> {
  const controller = new AbortController();
  // A call that hangs fails the test instead of stalling it.
  const timer = setTimeout(() => controller.abort(new Error(`${call.key}: no answer in 30 s`)), 30_000);
  try {
    return await answerOf(call, controller);
  } finally {
    clearTimeout(timer);
  }
}

async function answerOf(call: Call, controller: AbortController): Promise<{ status: number; headers: Headers; text: string }> {
  const answer = await fetch(call.url, { ...call.init, signal: controller.signal });
  if (answer.headers.get('content-type')?.startsWith('text/event-stream')) {
    const reader = answer.body!.getReader();
    const first = await reader.read();
    controller.abort();
    return { status: answer.status, headers: answer.headers, text: new TextDecoder().decode(first.value) };
  }
  return { status: answer.status, headers: answer.headers, text: await answer.text() };
}

interface Demo {
  process: ChildProcessByStdio<null, Readable, Readable>;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as the README runs it, on its own database, Redis prefix and ports; resolves once the demo data is seeded and both nodes are ready. */
async function startDemo(t: ExecutionContext, env: NodeJS.ProcessEnv, entry: string): Promise<Demo> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-cluster.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a failed test kills the nodes and the wallet mock with it.
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone: npm start stopped cleanly
    }
  });
  const seen = new Set<string>();
  for (let tries = 0; seen.size < 2 && tries < 900 && child.exitCode === null; tries++) {
    const answer = await fetch(`${entry}/ready`).catch(() => undefined);
    if (answer?.status === 200) seen.add(((await answer.json()) as { nodeId: string }).nodeId);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (seen.size < 2) throw new Error(`npm start did not come up:\n${output}`);
  return { process: child, output: () => output, exited };
}

/** Whether `check` comes true within 30 s (asked every 200 ms). */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let tries = 0; tries < 150; tries++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function stopDemo(t: ExecutionContext, demo: Demo): Promise<void> {
  demo.process.kill('SIGINT');
  t.is(await demo.exited, 0, demo.output());
}

test('every operation answers as its example says against npm start, tried twice and after a second npm start', async (t) => {
  t.timeout(4 * 60_000);
  const database = await createEmptyDatabase();
  await database.drop(); // `npm start` creates it itself
  const redis = createRedisPrefix();
  t.teardown(async () => {
    await redis.cleanup();
    await database.drop();
  });
  const base = await freePortBlock(3);
  const walletPort = await freePortBlock(1);
  const env = { DATABASE_URL: database.url, REDIS_URL, REDIS_PREFIX: redis.prefix, ENTRY_PORT: String(base), WALLET_PORT: String(walletPort) };
  const origins = { public: `http://127.0.0.1:${base}`, admin: `http://127.0.0.1:${base + 1 + 1000}` };

  const first = await startDemo(t, env, origins.public);
  t.regex(first.output(), /demo data ready/);
  const served = await (await fetch(`${origins.public}/openapi.json`)).json();
  t.deepEqual(await (await fetch(`${origins.admin}/openapi.json`)).json(), served, 'the admin listener serves the same document');
  const docsPage = await fetch(`${origins.admin}/docs`);
  t.is(docsPage.status, 200);
  t.truthy(docsPage.headers.get('content-security-policy'), 'the admin /docs keeps the strict CSP');
  await docsPage.arrayBuffer();

  const contract = openApiContract(served as ContractDocument);
  const calls = callsOf(served, origins);
  t.is(calls.length, contract.operations().length, 'every documented operation is called');

  const answers = new Map<string, { status: number; text: string }>();
  for (const call of calls) {
    const answer = await send(call);
    t.is(answer.status, call.expected, `${call.key} (${call.operationId}) with its examples: ${answer.text.slice(0, 400)}`);
    t.deepEqual(contract.answerViolations(call.key, answer), [], `${call.key} answers as documented`);
  }

  // "Execute" again: the same answer, or the documented one.
  for (const call of calls) {
    const answer = await send(call);
    answers.set(call.operationId, answer);
    t.is(answer.status, SECOND_TRY[call.operationId] ?? call.expected, `${call.key} (${call.operationId}) tried twice: ${answer.text.slice(0, 400)}`);
    t.deepEqual(contract.answerViolations(call.key, answer), [], `${call.key} tried twice answers as documented`);
  }
  // The outbox's demo credit is refused by the wallet every time: retried twice, it is still parked.
  t.like(JSON.parse(answers.get('retryOutboxItem')!.text), { status: 'credit_parked', kind: 'credit' });
  // The webhook delivery the redelivery example names is a real one: npm start's receiver takes it.
  const redelivered = (JSON.parse(answers.get('redeliverWebhook')!.text) as { id: string }).id;
  t.true(await eventually(async () => {
    const page = await send({ ...calls.find((call) => call.operationId === 'listWebhookDeliveries')!, url: `${origins.public}/webhooks/deliveries?status=delivered&limit=100` });
    return (JSON.parse(page.text) as { items: { id: string }[] }).items.some((item) => item.id === redelivered);
  }), 'the redelivered demo delivery reaches the receiver');
  await stopDemo(t, first);

  // A second `npm start` on the same database finds the demo records: the same bet, no error.
  const bet = calls.find((call) => call.operationId === 'getBet')!;
  const second = await startDemo(t, env, origins.public);
  t.regex(second.output(), /demo data ready/);
  const again = await send(bet);
  t.is(again.status, 200, again.text);
  t.deepEqual(JSON.parse(again.text), JSON.parse(answers.get('getBet')!.text), 'the demo bet is the one the first start placed');
  const bets = await send({ ...bet, url: `${origins.public}/bets?playerId=player-7&limit=100` });
  t.is((JSON.parse(bets.text) as { items: unknown[] }).items.length, 1, 'seeding again placed no other bet');
  // A fresh wallet mock has forgotten the refusal's record, and refuses the credit all the same.
  const retry = calls.find((call) => call.operationId === 'retryOutboxItem')!;
  const retried = await send(retry);
  t.is(retried.status, 202, retried.text);
  t.like(JSON.parse(retried.text), { status: 'credit_parked' });
  const redelivery = await send(calls.find((call) => call.operationId === 'redeliverWebhook')!);
  t.is(redelivery.status, 202, redelivery.text);
  await stopDemo(t, second);
});
