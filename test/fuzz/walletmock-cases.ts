import { createHmac, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { FuzzCase } from './requests.ts';
import { brokenPercentEncoding, invalidJson, jsonText, longText, nonAscii, objectText, oddText, percentEncode, RawJson } from './values.ts';
import { headerBytes, type WireRequest } from './wire.ts';

// The wallet mock is a service of its own (SPEC §6), and tests and chaos runs lean on it:
// bad input must not change its books either. Its routes are a hand-written table
// (walletmock/server.ts), listed here. Every case is invalid for reasons that outlive a
// change of the protocol's details: a signature that is wrong under any scheme, a body
// that no schema of SPEC §6 accepts, a method or path the mock does not serve. A case
// signed the way SPEC §6 signs today only reaches the body's validation while that
// scheme holds; under another it is refused at the signature, which is a 4xx as well.
// Errors of the mock are JSON with a string `code` (not problem+json, SPEC §6).

export interface WalletMockFixtures {
  /** A secret the mock accepts. */
  secret: string;
  /** The operator the fixtures belong to (sent as X-Operator-Id, SPEC §6). */
  operatorId: string;
  /** A player the mock knows (it has a transaction). */
  playerId: string;
}

type Operation = 'debit' | 'credit' | 'rollback';

interface MockRoute {
  method: string;
  /** The path; `:playerId` stands for a path parameter. */
  path: string;
  operation?: Operation;
}

/** Every route the mock serves (walletmock/server.ts). */
export const WALLET_MOCK_ROUTES: readonly MockRoute[] = [
  { method: 'POST', path: '/wallet/debit', operation: 'debit' },
  { method: 'POST', path: '/wallet/credit', operation: 'credit' },
  { method: 'POST', path: '/wallet/rollback', operation: 'rollback' },
  { method: 'GET', path: '/wallet/balance/:playerId' },
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/__faults' },
  { method: 'PUT', path: '/__faults' },
  { method: 'GET', path: '/__ledger' },
  { method: 'GET', path: '/__stats' },
  { method: 'PUT', path: '/__players/:playerId' },
  { method: 'POST', path: '/__reset' },
  { method: 'GET', path: '/__spy' },
  { method: 'PUT', path: '/__spy' },
];

export const walletMockRouteKey = (route: MockRoute) => `walletmock ${route.method} ${route.path}`;

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const BODY_LIMIT_BYTES = 64 * 1024;
// SPEC §6: a timestamp more than 5 minutes off is refused.
const WINDOW_MS = 5 * 60 * 1000;
const HOUR_MS = 3600 * 1000;

interface Draft {
  method: string;
  /** Path as sent (already percent-encoded). */
  path: string;
  query: [string, string][];
  /** Applied after signing: a value replaces the signed header, undefined removes it. */
  headers: Record<string, string | string[] | undefined>;
  body: string | undefined;
  /** Wallet operations: signed at the end with these (the body signed is `signedBody` if set). */
  signing?: { secret: string; timestamp: string; requestId: string; signedBody?: string };
}

interface Breaker {
  label: string;
  apply(draft: Draft): Draft;
}

const show = (value: unknown, max = 60) => {
  const text = value instanceof RawJson ? value.text : typeof value === 'string' ? JSON.stringify(value) : jsonText(value);
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
};

/** SPEC §6: X-Signature = hex(HMAC_SHA256(secret, "{timestamp}.{requestId}.{METHOD} {path}.{operatorId}.{rawBody}")). */
function signature(secret: string, timestamp: string, requestId: string, request: string, operatorId: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${requestId}.${request}.${operatorId}.${rawBody}`).digest('hex');
}

// ---- values no SPEC §6 schema accepts ----------------------------------------------------

/** Ids are 1–200 characters of any text: empty, too long, or no string at all. */
const badId = fc.oneof(fc.constant(''), longText(201, 2_000), fc.constantFrom<unknown>(null, 0, 7, true, [], {}, ['id'], { id: 'x' }));
const badCurrency = invalidJson('currency');
const badAmount = invalidJson('amount');
const badRate = fc.oneof(
  fc.double({ min: 1.000001, max: 1e6, noNaN: true }),
  fc.double({ min: -1e6, max: -1e-9, noNaN: true }),
  fc.constantFrom<unknown>('0.5', null, true, [], {}, new RawJson('1e400'), new RawJson('-1e400')),
);
const badLatency = fc.oneof(fc.integer({ min: 60_001 }), fc.integer({ max: -1 }), fc.constantFrom<unknown>(1.5, '10', null, true, 2 ** 53));

function operationBody(operation: Operation, playerId: string): Record<string, unknown> {
  const betId = randomUUID();
  const common = { transactionId: `fuzz-${betId}:${operation}`, playerId, currency: 'EUR', amount: 100, betId };
  if (operation === 'debit') return { ...common, roundId: randomUUID() };
  if (operation === 'credit') return { ...common, debitTransactionId: `fuzz-${betId}:debit`, roundId: randomUUID() };
  return { ...common, debitTransactionId: `fuzz-${betId}:debit` };
}

const badFieldOf: Record<string, fc.Arbitrary<unknown>> = {
  transactionId: badId,
  debitTransactionId: badId,
  playerId: badId,
  betId: badId,
  roundId: badId,
  currency: badCurrency,
  amount: badAmount,
};

// ---- breakers ---------------------------------------------------------------------------------

const withBody = (draft: Draft, body: string): Draft => ({ ...draft, body, headers: { ...draft.headers, 'content-type': 'application/json' } });

const entriesOf = (draft: Draft): [string, unknown][] => (draft.body === undefined ? [] : Object.entries(JSON.parse(draft.body) as Record<string, unknown>));

/** A JSON object body whose fields are replaced, removed or added, or no object at all. */
function bodyBreakers(fields: Record<string, fc.Arbitrary<unknown>>, required: readonly string[]): fc.Arbitrary<Breaker>[] {
  const names = Object.keys(fields);
  const breakers: fc.Arbitrary<Breaker>[] = [
    fc
      .tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'Amount', 'amount ', 'operatorId ', 'surprise', ''), oddText), fc.constantFrom<unknown>(1, 'x', { admin: true }))
      .filter(([name]) => !names.includes(name))
      .map(([name, value]) => ({ label: `unknown field ${show(name)}`, apply: (draft) => withBody(draft, objectText([...entriesOf(draft), [name, value]])) })),
    fc
      .oneof(
        fc.constantFrom('null', 'true', '1', '"text"', '[]', '[{}]', '{', '{"a":1,}', "{'a':1}", 'NaN', ''),
        fc.integer({ min: 2, max: 4_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
      )
      .map((text) => ({ label: `body ${show(text)}`, apply: (draft) => withBody(draft, text) })),
    fc.integer({ min: BODY_LIMIT_BYTES + 1, max: BODY_LIMIT_BYTES * 3 }).map((size) => ({
      label: `body of ${size} bytes`,
      apply: (draft) => withBody(draft, objectText([...entriesOf(draft), ['pad', 'x'.repeat(size)]])),
    })),
  ];
  for (const [name, values] of Object.entries(fields)) {
    breakers.push(
      values.map((value) => ({
        label: `${name} = ${show(value)}`,
        apply: (draft) => withBody(draft, objectText([...entriesOf(draft).filter(([key]) => key !== name), [name, value]])),
      })),
    );
  }
  for (const name of required) {
    breakers.push(fc.constant({ label: `without ${name}`, apply: (draft) => withBody(draft, objectText(entriesOf(draft).filter(([key]) => key !== name))) }));
  }
  return breakers;
}

/** Signatures that are wrong under any scheme, and timestamps and request ids the mock must refuse. */
function signatureBreakers(): fc.Arbitrary<Breaker>[] {
  const header = fc.constantFrom('x-timestamp', 'x-request-id', 'x-signature');
  const override = (label: string, headers: Record<string, string | string[] | undefined>): Breaker => ({
    label,
    apply: (draft) => ({ ...draft, headers: { ...draft.headers, ...headers } }),
  });
  const resign = (label: string, change: (signing: NonNullable<Draft['signing']>) => Partial<NonNullable<Draft['signing']>>): Breaker => ({
    label,
    apply: (draft) => ({ ...draft, signing: draft.signing && { ...draft.signing, ...change(draft.signing) } }),
  });
  return [
    fc.subarray(['x-timestamp', 'x-request-id', 'x-signature'], { minLength: 1 }).map((names) =>
      override(`without ${names.join(', ')}`, Object.fromEntries(names.map((name) => [name, undefined]))),
    ),
    fc
      .oneof(
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.stringMatching(/^[0-9a-f]{1,63}$/),
        fc.stringMatching(/^[0-9a-f]{65,200}$/),
        fc.constantFrom('', 'sha256=', 'null', 'g'.repeat(64)),
        fc.string({ maxLength: 80 }).map(headerBytes),
        nonAscii.map(headerBytes),
        longText(17_000, 20_000).map(headerBytes),
      )
      .map((value) => override(`x-signature: ${show(value)}`, { 'x-signature': value })),
    // Sent twice: node joins the values, which is no signature.
    fc.constant(override('x-signature twice', { 'x-signature': ['a'.repeat(64), 'b'.repeat(64)] })),
    fc.string({ minLength: 1, maxLength: 40 }).map((secret) => resign(`signed with ${show(secret)}`, () => ({ secret: `fuzz-not-the-secret-${secret}` }))),
    fc.constantFrom('{}', ' ', 'x').map((extra) => resign(`signature of another body (+${show(extra)})`, (signing) => ({ signedBody: `${signing.signedBody ?? ''}${extra}` }))),
    // Far outside the window: a case may be sent (or replayed while shrinking) minutes
    // after it was drawn, and a future timestamp comes closer meanwhile.
    fc
      .tuple(fc.integer({ min: WINDOW_MS + HOUR_MS, max: 400 * 24 * HOUR_MS }), fc.boolean())
      .map(([offset, past]) => resign(`timestamp ${past ? '-' : '+'}${Math.round(offset / 1000)} s`, () => ({ timestamp: String(Date.now() + (past ? -offset : offset)) }))),
    fc
      .constantFrom('', 'abc', '-1', '1.5', '1e12', ' 1', '99999999999999999', 'NaN', '0x10')
      .map((timestamp) => resign(`timestamp ${show(timestamp)}`, () => ({ timestamp }))),
    fc
      .oneof(fc.constant(''), longText(129, 3_000).map((value) => value.replace(/[^\x21-\x7e]/g, 'r')))
      .map((requestId) => resign(`request id ${show(requestId)}`, () => ({ requestId }))),
    header.map((name) => override(`${name} of 20,000 bytes`, { [name]: 'z'.repeat(20_000) })),
  ];
}

function methodBreakers(route: MockRoute): fc.Arbitrary<Breaker>[] {
  const taken = new Set(WALLET_MOCK_ROUTES.filter((other) => other.path === route.path).map((other) => other.method));
  const wrong = ALL_METHODS.filter((method) => !taken.has(method));
  return [fc.constantFrom(...wrong).map((method) => ({ label: `method ${method}`, apply: (draft) => ({ ...draft, method }) }))];
}

/** A segment after a path the mock serves exactly: no route. (A path with a parameter would take it as part of the id.) */
function suffixBreakers(route: MockRoute): fc.Arbitrary<Breaker>[] {
  if (route.path.includes(':')) return [];
  return [
    fc
      .oneof(fc.constantFrom('x', '%00', '..', '__reset'), fc.string({ minLength: 1, maxLength: 20 }).map(percentEncode))
      .map((segment) => ({ label: `${route.path}/${segment}`, apply: (draft) => ({ ...draft, path: `${draft.path}/${segment}` }) })),
  ];
}

/** An id segment the mock refuses: empty, too long, or not decodable. */
function paramBreakers(route: MockRoute): fc.Arbitrary<Breaker>[] {
  if (!route.path.includes(':playerId')) return [];
  const prefix = route.path.replace(':playerId', '');
  return [
    fc
      .oneof(fc.constant(''), longText(201, 600).map(percentEncode), brokenPercentEncoding, fc.integer({ min: 17_000, max: 20_000 }).map((length) => 'p'.repeat(length)))
      .map((segment) => ({ label: `:playerId = ${show(segment)}`, apply: (draft) => ({ ...draft, path: `${prefix}${segment}` }) })),
  ];
}

/** Query parameters the route refuses: unknown names, and bad values of the known ones. */
function queryBreakers(known: Record<string, fc.Arbitrary<string>>, reserved: readonly string[]): fc.Arbitrary<Breaker>[] {
  const breakers: fc.Arbitrary<Breaker>[] = [
    fc
      .oneof(fc.constantFrom('foo', 'limit', '__proto__', 'constructor', 'Currency', 'currency ', 'a[b]'), fc.string({ minLength: 1, maxLength: 12 }), oddText)
      .filter((name) => !Object.keys(known).includes(name) && !reserved.includes(name))
      .map((name) => ({ label: `unknown query ${show(name)}`, apply: (draft) => ({ ...draft, query: [...draft.query, [percentEncode(name), '1']] }) })),
  ];
  for (const [name, values] of Object.entries(known)) {
    breakers.push(
      values.map((value) => ({
        label: `?${name}=${show(value)}`,
        apply: (draft) => ({ ...draft, query: [...draft.query.filter(([key]) => key !== name), [name, percentEncode(value)]] }),
      })),
    );
  }
  return breakers;
}

const badCurrencyText = fc.oneof(fc.constantFrom('', 'eur', 'EURO', 'EU', '€€€', ' EUR', 'EUR '), nonAscii);
const badIdText = fc.oneof(fc.constant(''), longText(201, 600));

const faultsFields = (operation: fc.Arbitrary<unknown>): Record<string, fc.Arbitrary<unknown>> => ({
  seed: fc.constantFrom<unknown>(1.5, '1', null, true, 2 ** 53, new RawJson('1e400')),
  debit: operation,
  credit: operation,
  rollback: operation,
});

const badOperationFaults = fc.oneof(
  fc.constantFrom('errorRate', 'timeoutRate', 'lostResponseRate', 'refuseRetryRate').chain((name) => badRate.map((value) => ({ [name]: value }))),
  badLatency.map((latencyMs) => ({ latencyMs })),
  fc.constantFrom({ errorRate: 0.6, timeoutRate: 0.6 }, { errorRate: 0.5, timeoutRate: 0.3, lostResponseRate: 0.3 }, { errorrate: 1 }, { surprise: 0 }),
  fc.constantFrom<unknown>(null, 1, 'x', [], true),
);

const badSpyFields: Record<string, fc.Arbitrary<unknown>> = {
  rgsUrl: fc.constantFrom<unknown>('not a url', 'ftp://example.com', '', null, 1, [], ['not a url'], Array.from({ length: 17 }, () => 'http://127.0.0.1:9')),
  keys: fc.constantFrom<unknown>({}, { op: 1 }, { op: '' }, { '': 'key' }, null, [], 'key', Object.fromEntries(Array.from({ length: 65 }, (_, n) => [`op${n}`, 'key']))),
};

const badPlayerFields: Record<string, fc.Arbitrary<unknown>> = {
  blocked: fc.constantFrom<unknown>('true', 1, null, [], {}),
  balance: fc.oneof(
    fc.constantFrom<unknown>(null, 1, 'x', []),
    badCurrencyText.filter((code) => code !== '').map((code) => new RawJson(objectText([[code, 1]]))),
    fc.constantFrom<unknown>(-1, 1.5, '1', null, 2 ** 53).map((amount) => ({ EUR: amount })),
  ),
  debitLimit: fc.constantFrom<unknown>(-1, 1.5, '10', true, [], 2 ** 53),
};

function breakersFor(route: MockRoute): fc.Arbitrary<Breaker>[] {
  const shared = [...methodBreakers(route), ...suffixBreakers(route), ...paramBreakers(route)];
  const key = `${route.method} ${route.path}`;
  if (route.operation) {
    const fields = Object.keys(operationBody(route.operation, 'p'));
    const bad = Object.fromEntries(fields.map((name) => [name, badFieldOf[name]!]));
    return [...shared, ...signatureBreakers(), ...bodyBreakers(bad, fields)];
  }
  switch (key) {
    case 'GET /wallet/balance/:playerId':
      // Without ?currency= a player the mock never saw has no balance to show.
      return [
        ...shared,
        ...queryBreakers({ currency: badCurrencyText }, ['operatorId']),
        fc.stringMatching(/^[a-z0-9]{4,20}$/).map((suffix) => ({
          label: 'a player never seen, without ?currency=',
          apply: (draft: Draft) => ({ ...draft, path: `/wallet/balance/fuzz-nobody-${suffix}`, query: draft.query.filter(([name]) => name !== 'currency') }),
        })),
      ];
    case 'GET /__ledger':
      return [...shared, ...queryBreakers({ playerId: badIdText }, ['operatorId'])];
    case 'PUT /__faults':
      return [...shared, ...bodyBreakers(faultsFields(badOperationFaults), [])];
    case 'PUT /__spy':
      return [
        ...shared,
        ...bodyBreakers(badSpyFields, []),
        fc.constantFrom({ rgsUrl: 'http://127.0.0.1:9' }, { keys: { op: 'key' } }).map((body) => ({ label: `only ${Object.keys(body)[0]}`, apply: (draft: Draft) => withBody(draft, JSON.stringify(body)) })),
      ];
    case 'PUT /__players/:playerId':
      return [...shared, ...bodyBreakers(badPlayerFields, [])];
    default:
      return shared;
  }
}

/** The valid request each breaker starts from. */
function validDraft(route: MockRoute, fx: WalletMockFixtures): Draft {
  const path = route.path.replace(':playerId', percentEncode(fx.playerId));
  if (route.operation) {
    const body = JSON.stringify(operationBody(route.operation, fx.playerId));
    return {
      method: route.method,
      path,
      query: [],
      headers: { 'content-type': 'application/json', 'x-operator-id': fx.operatorId },
      body,
      signing: { secret: fx.secret, timestamp: String(Date.now()), requestId: randomUUID() },
    };
  }
  const draft: Draft = { method: route.method, path, query: [], headers: {}, body: undefined };
  if (route.path === '/wallet/balance/:playerId') draft.query = [['currency', 'EUR'], ['operatorId', percentEncode(fx.operatorId)]];
  if (route.path.startsWith('/__players/')) draft.query = [['operatorId', percentEncode(fx.operatorId)]];
  // PUT bodies: what is set today (the fuzzing run has no faults and no spy) and a no-op for the player.
  if (route.method === 'PUT') return withBody(draft, '{}');
  return draft;
}

function toWire(draft: Draft, noise: Record<string, string>): WireRequest {
  const headers: Record<string, string | string[]> = { ...noise };
  if (draft.signing) {
    const { secret, timestamp, requestId, signedBody } = draft.signing;
    headers['x-timestamp'] = timestamp;
    headers['x-request-id'] = requestId;
    const operatorId = draft.headers['x-operator-id'];
    const signedOperator = typeof operatorId === 'string' ? operatorId : '';
    headers['x-signature'] = signature(secret, timestamp, requestId, `${draft.method} ${draft.path}`, signedOperator, signedBody ?? draft.body ?? '');
  }
  for (const [name, value] of Object.entries(draft.headers)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  const query = draft.query.map(([name, value]) => `${name}=${value}`).join('&');
  return { method: draft.method, path: query ? `${draft.path}?${query}` : draft.path, headers, body: draft.body };
}

const noiseValue = fc.oneof(fc.string({ maxLength: 30 }), nonAscii, oddText, longText(100, 600));
const noise = fc
  .record({ 'x-fuzz': noiseValue, 'user-agent': noiseValue, accept: noiseValue, 'x-operator-key': noiseValue }, { requiredKeys: [] })
  .map((headers) => Object.fromEntries(Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, headerBytes(value)]]))));

/** Fuzz cases for every route of the wallet mock (each route equally likely). */
export function walletMockCases(fx: WalletMockFixtures): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    ...WALLET_MOCK_ROUTES.map((route) =>
      fc.record({ breaker: fc.oneof(...breakersFor(route)), noise }).map(
        ({ breaker, noise: noiseHeaders }): FuzzCase => ({
          route: walletMockRouteKey(route),
          breaker: breaker.label,
          expect: 'problem',
          listener: 'walletmock',
          request: toWire(breaker.apply(validDraft(route, fx)), noiseHeaders),
        }),
      ),
    ),
  );
}
