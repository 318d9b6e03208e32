import { randomUUID } from 'node:crypto';
import test from 'ava';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { launch, setFaults } from './support/bets.ts';
import { createOperator } from './support/operators.ts';
import { waitUntil } from './support/wait.ts';

// docs/tracing.md "Logs": one JSON line per request, at a level by status, with the
// request id the client sent (or one of the node's), and "request aborted" when the
// client went away before its answer.

interface RequestLine {
  level: number;
  msg: string;
  nodeId?: string;
  req?: { id?: string; method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

let cluster: TestCluster;

test.before(async () => {
  cluster = await startCluster({ nodes: 1, nodeEnv: { LOG_LEVEL: 'debug' } });
});

test.after.always(async () => {
  await cluster?.stop();
});

function requestLines(): RequestLine[] {
  return cluster.nodes[0]!.logs.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as RequestLine;
      return parsed.req ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

async function lineFor(requestId: string): Promise<RequestLine> {
  let found: RequestLine | undefined;
  await waitUntil(async () => (found = requestLines().find((line) => line.req?.id === requestId)) !== undefined, `the request line of ${requestId}`, 5_000);
  return found!;
}

test('a request is logged once with the id the client sent, its status and its time; 2xx at debug, 4xx at info', async (t) => {
  const node = cluster.nodes[0]!;
  const okId = `ok-${randomUUID()}`;
  const ok = await fetch(`${node.url}/health`, { headers: { 'x-request-id': okId } });
  t.is(ok.status, 200);
  t.is(ok.headers.get('x-request-id'), okId);
  const okLine = await lineFor(okId);
  t.like(okLine, { level: 20, msg: 'request completed', nodeId: 'node-a', req: { method: 'GET', url: '/health' }, res: { statusCode: 200 } });
  t.true(typeof okLine.responseTime === 'number' && okLine.responseTime >= 0);

  const refusedId = `refused-${randomUUID()}`;
  const refused = await fetch(`${node.url}/bets?limit=1`, { headers: { 'x-request-id': refusedId } });
  t.is(refused.status, 401);
  t.like(await lineFor(refusedId), { level: 30, msg: 'request completed', req: { method: 'GET', url: '/bets?limit=1' }, res: { statusCode: 401 } });
  t.is(requestLines().filter((line) => line.req?.id === refusedId).length, 1, 'one line per request');
});

test('an unusable X-Request-Id is replaced by one of the node', async (t) => {
  const answer = await fetch(`${cluster.nodes[0]!.url}/health`, { headers: { 'x-request-id': 'has spaces and <tags>' } });
  const id = answer.headers.get('x-request-id') ?? '';
  t.regex(id, /^[0-9a-f-]{36}$/);
  t.like(await lineFor(id), { req: { url: '/health' }, res: { statusCode: 200 } });
});

test('a client that hangs up before POST /bets is answered is logged as "request aborted" at info', async (t) => {
  const node = cluster.nodes[0]!;
  const operator = await createOperator(node);
  const client = operator.client();
  const sessionToken = await launch(client, `aborting-${randomUUID()}`);
  await setFaults(cluster.wallet.url, { debit: { latencyMs: 1_500 } });
  t.teardown(() => setFaults(cluster.wallet.url, {}));

  const requestId = `aborted-${randomUUID()}`;
  const controller = new AbortController();
  const sent = fetch(`${node.url}/bets`, {
    method: 'POST',
    signal: controller.signal,
    headers: { 'content-type': 'application/json', 'x-operator-key': operator.apiKey, 'idempotency-key': randomUUID(), 'x-request-id': requestId },
    body: JSON.stringify({ sessionToken, amount: 100, game: 'dice', params: { target: 50, direction: 'under' } }),
  });
  setTimeout(() => controller.abort(), 300);
  const error: unknown = await sent.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  t.is((error as { name?: string } | undefined)?.name, 'AbortError', 'the client gave up before the answer');

  t.like(await lineFor(requestId), { level: 30, msg: 'request aborted', req: { method: 'POST', url: '/bets' } });
});
