import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { AppRoute, RouteEntry } from '../support/app-routes.ts';
import { authOf, onBothListeners, routeInputs, routeKey, type AuthKind, type Field, type Fixtures, type Listener, type RouteInputs } from './catalog.ts';
import {
  brokenPercentEncoding,
  invalidJson,
  invalidQuery,
  invalidSegment,
  jsonText,
  longText,
  malformedIdempotencyKey,
  nonAscii,
  objectText,
  oddText,
  percentEncode,
  RawJson,
} from './values.ts';
import { headerBytes, type WireRequest } from './wire.ts';

// One fuzz case = a request to one endpoint that is well-formed in every respect but at
// least one (the "breaker": a bad credential, field, query value, header, path segment,
// body framing or method), plus noise (odd extra headers) that cannot make it valid.
// Every case therefore MUST be refused with a 4xx problem+json and change nothing.

/** What the answer must be: a problem, or (GET /stream with an unusable Last-Event-ID) a 200 stream that starts with `stream.reset` (SPEC §7). */
export type Expectation = 'problem' | 'stream-reset';

export interface FuzzCase {
  route: string;
  /** What makes this request invalid, for the report. */
  breaker: string;
  expect: Expectation;
  /** Which server the request is sent to: one of the node's listeners (SPEC §2), or the wallet mock. */
  listener: Listener;
  request: WireRequest;
}

interface Draft {
  method: string;
  params: Record<string, string>;
  /** Query pairs, already percent-encoded. */
  query: [string, string][];
  headers: Record<string, string | string[] | undefined>;
  body: string | undefined;
  /** Path text appended after the route's path (an extra segment). */
  suffix?: string;
  /** Sent to the listener that does not serve the route (SPEC §2: each path exists on one only). */
  otherListener?: boolean;
}

/** What a breaker does to the draft of a valid request. */
interface Breaker {
  label: string;
  expect?: Expectation;
  apply(draft: Draft): Draft;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const BODY_LIMIT_BYTES = 64 * 1024;

const show = (value: unknown, max = 60) => {
  const text = value instanceof RawJson ? value.text : typeof value === 'string' ? JSON.stringify(value) : jsonText(value);
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
};

const fieldsOf = (body: RouteInputs['body']): Record<string, Field> => (body && body !== 'none' ? body : {});

/** The draft of a valid request: credentials, real ids in the path, valid body, query and headers. */
function validDraft(route: RouteEntry, inputs: RouteInputs | undefined, fx: Fixtures, optional: { body: string[]; query: string[]; launchKey: boolean }): Draft {
  const auth: Record<Exclude<AuthKind, 'public'>, Record<string, string>> = {
    operator: { 'x-operator-key': fx.apiKey },
    admin: { authorization: `Bearer ${fx.adminToken}` },
  };
  const kind = authOf(route);
  const headers: Record<string, string | undefined> = kind === 'public' ? {} : { ...auth[kind] };
  const params: Record<string, string> = {};
  for (const [name, param] of Object.entries(inputs?.params ?? {})) params[name] = percentEncode(param.valid);
  const query: [string, string][] = [];
  for (const [name, field] of Object.entries(inputs?.query ?? {})) {
    if (field.valid === undefined) continue;
    if (field.required || optional.query.includes(name)) query.push([name, percentEncode(String(field.valid))]);
  }
  let body: string | undefined;
  const fields = fieldsOf(inputs?.body);
  if (Object.keys(fields).length > 0) {
    body = objectText(Object.entries(fields).filter(([name, field]) => field.required || optional.body.includes(name)).map(([name, field]) => [name, field.valid]));
    headers['content-type'] = 'application/json';
  }
  if (inputs?.idempotencyKey === 'required' || (inputs?.idempotencyKey === 'optional' && optional.launchKey)) headers['idempotency-key'] = randomUUID();
  return { method: route.method, params, query, headers, body };
}

const withBody = (draft: Draft, body: string, contentType: string | undefined = 'application/json'): Draft => ({
  ...draft,
  body,
  headers: { ...draft.headers, 'content-type': contentType },
});

/** The fields of the valid body, as entries (required ones always, optional ones as drafted). */
function bodyEntries(draft: Draft): [string, unknown][] {
  if (draft.body === undefined) return [];
  return Object.entries(JSON.parse(draft.body) as Record<string, unknown>);
}

// ---- breakers every route can take -------------------------------------------------------

function credentialBreakers(route: RouteEntry, fx: Fixtures): fc.Arbitrary<Breaker>[] {
  const kind = authOf(route);
  if (kind === 'public') return [];
  const header = kind === 'operator' ? 'x-operator-key' : 'authorization';
  const values: fc.Arbitrary<string | string[] | undefined> =
    kind === 'operator'
      ? fc.oneof(
          fc.constantFrom(undefined, '', fx.adminToken, `${fx.apiKey}x`, fx.apiKey.slice(1), `Bearer ${fx.apiKey}`, `${fx.apiKey}, ${fx.apiKey}`),
          // The header twice (node joins repeated headers with ", "): not one key.
          fc.constantFrom<string[]>([fx.apiKey, fx.apiKey], [fx.apiKey, 'rgs_other'], ['rgs_other', fx.apiKey]),
          fc.string({ minLength: 1, maxLength: 80 }).filter((value) => value.trim() !== fx.apiKey),
          longText(257, 20_000).map((value) => headerBytes(value)),
          nonAscii.map(headerBytes),
        )
      : fc.oneof(
          fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', fx.adminToken, `Token ${fx.adminToken}`, `Bearer ${fx.adminToken}x`, `Bearer ${fx.apiKey}`, 'Basic !!!', 'Basic '),
          fc.string({ minLength: 1, maxLength: 60 }).map((value) => `Bearer ${value}`).filter((value) => !value.includes(fx.adminToken)),
          fc.string({ minLength: 1, maxLength: 40 }).map((value) => `Basic ${Buffer.from(`admin:${value}`).toString('base64')}`).filter((value) => !value.includes(fx.adminToken)),
          longText(100, 20_000).map((value) => `Bearer ${headerBytes(value)}`),
          nonAscii.map((value) => `Bearer ${headerBytes(value)}`),
        );
  return [values.map((value) => ({ label: `${header}: ${show(value)}`, apply: (draft) => ({ ...draft, headers: { ...draft.headers, [header]: value } }) }))];
}

function methodBreakers(route: RouteEntry, routes: RouteEntry[]): fc.Arbitrary<Breaker>[] {
  const taken = new Set(routes.filter((other) => other.path === route.path).map((other) => other.method));
  const wrong = ALL_METHODS.filter((method) => !taken.has(method));
  if (wrong.length === 0) return [];
  return [fc.constantFrom(...wrong).map((method) => ({ label: `method ${method}`, apply: (draft) => ({ ...draft, method }) }))];
}

function framingBreakers(route: RouteEntry): fc.Arbitrary<Breaker>[] {
  if (!BODY_METHODS.has(route.method)) return [];
  const anyBody = (draft: Draft) => draft.body ?? '{}';
  return [
    // Not JSON at all, by its media type (the body itself may be fine).
    fc
      .constantFrom(
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'application/problem+json',
        'json',
        '',
        'application/json; charset=klingon',
        'application/json; charset=latin1',
        headerBytes('application/jsön'),
      )
      .map((contentType) => ({ label: `content-type ${show(contentType)}`, apply: (draft: Draft) => withBody(draft, anyBody(draft), contentType) })),
    // Not JSON by its text: cut short, or not JSON syntax.
    fc.double({ min: 0, max: 1, noNaN: true }).map((cut) => ({
      label: `JSON cut at ${Math.round(cut * 100)}%`,
      apply: (draft: Draft) => {
        const text = anyBody(draft);
        return withBody(draft, text.slice(0, Math.max(1, Math.min(text.length - 1, Math.floor(text.length * cut)))));
      },
    })),
    fc
      .oneof(
        fc.constantFrom("{'a':1}", '{"a":1,}', 'NaN', 'undefined', '{"a":1}}', '\u0000', '{"a":01}', '{"a":"\\x41"}', '  '),
        fc.string({ minLength: 1, maxLength: 40 }).filter((value) => {
          try {
            JSON.parse(value);
            return false;
          } catch {
            return true;
          }
        }),
      )
      .map((text) => ({ label: `not JSON ${show(text)}`, apply: (draft: Draft) => withBody(draft, text) })),
    // JSON, but not an object or array.
    fc
      .constantFrom('null', 'true', '1', '"text"', '-0', '1e400', '""')
      .map((text) => ({ label: `JSON scalar ${text}`, apply: (draft: Draft) => withBody(draft, text) })),
    // Over the body limit.
    fc.integer({ min: BODY_LIMIT_BYTES + 1, max: BODY_LIMIT_BYTES * 4 }).map((size) => ({
      label: `body of ${size} bytes`,
      apply: (draft: Draft) => withBody(draft, objectText([...bodyEntries(draft), ['pad', 'x'.repeat(size)]])),
    })),
    // A content encoding the body is not in.
    fc.constantFrom('gzip', 'deflate', 'br', 'zz', 'gzip, gzip').map((encoding) => ({
      label: `content-encoding ${encoding} over plain text`,
      apply: (draft: Draft) => ({ ...withBody(draft, anyBody(draft)), headers: { ...draft.headers, 'content-type': 'application/json', 'content-encoding': encoding } }),
    })),
  ];
}

function encodingBreakers(route: RouteEntry): fc.Arbitrary<Breaker>[] {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]!);
  if (names.length === 0) return [];
  return [
    fc.tuple(fc.constantFrom(...names), brokenPercentEncoding).map(([name, segment]) => ({
      label: `:${name} = ${segment}`,
      apply: (draft: Draft) => ({ ...draft, params: { ...draft.params, [name]: segment } }),
    })),
  ];
}

// ---- breakers from the route's own inputs ----------------------------------------------------

function paramBreakers(inputs: RouteInputs): fc.Arbitrary<Breaker>[] {
  return Object.entries(inputs.params ?? {}).map(([name, param]) =>
    invalidSegment(param.kind).map((segment) => ({
      label: `:${name} = ${show(segment)}`,
      apply: (draft: Draft) => ({ ...draft, params: { ...draft.params, [name]: segment } }),
    })),
  );
}

function bodyBreakers(inputs: RouteInputs): fc.Arbitrary<Breaker>[] {
  if (!inputs.body) return [];
  const fields = fieldsOf(inputs.body);
  const names = Object.keys(fields);
  const unknownName = fc
    .oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '', 'surprise', 'Amount', 'amount ', '$where'), fc.string({ maxLength: 12 }), oddText)
    .filter((name) => !names.includes(name));
  const breakers: fc.Arbitrary<Breaker>[] = [
    fc.tuple(unknownName, fc.oneof(fc.constant(1), fc.constant({ admin: true }), fc.string({ maxLength: 10 }))).map(([name, value]) => ({
      label: `unknown field ${show(name)}`,
      apply: (draft: Draft) => withBody(draft, objectText([...bodyEntries(draft), [name, value]])),
    })),
    fc.integer({ min: 50, max: 4_000 }).map((count) => ({
      label: `${count} unknown fields`,
      apply: (draft: Draft) => withBody(draft, objectText([...bodyEntries(draft), ...Array.from({ length: count }, (_, index): [string, unknown] => [`field${index}`, index])])),
    })),
    fc.constantFrom('[]', '[{}]', '[[]]').map((text) => ({
      label: `array body ${text}`,
      apply: (draft: Draft) => withBody(draft, text === '[{}]' && draft.body ? `[${draft.body}]` : text),
    })),
  ];
  for (const [name, field] of Object.entries(fields)) {
    breakers.push(
      invalidJson(field.kind, field.nullable).map((value) => ({
        label: `${name} = ${show(value)}`,
        apply: (draft: Draft) => withBody(draft, objectText([...bodyEntries(draft).filter(([key]) => key !== name), [name, value]])),
      })),
      // A duplicate key: JSON.parse keeps the last, which is the bad one.
      invalidJson(field.kind, field.nullable).map((value) => ({
        label: `${name} twice, last = ${show(value)}`,
        apply: (draft: Draft) => withBody(draft, objectText([...bodyEntries(draft).filter(([key]) => key !== name), [name, field.valid], [name, value]])),
      })),
    );
    if (field.required) {
      breakers.push(
        fc.constant({
          label: `without ${name}`,
          apply: (draft: Draft) => withBody(draft, objectText(bodyEntries(draft).filter(([key]) => key !== name))),
        }),
      );
    }
  }
  return breakers;
}

function queryBreakers(inputs: RouteInputs): fc.Arbitrary<Breaker>[] {
  if (!inputs.query) return [];
  const names = Object.keys(inputs.query);
  const breakers: fc.Arbitrary<Breaker>[] = [
    fc
      .oneof(fc.constantFrom('foo', 'offset', 'page', 'a[b]', 'limit[]', 'cursor[]', '__proto__', 'constructor', 'LIMIT', 'limit ', '', 'x-operator-key'), fc.string({ maxLength: 12 }), oddText)
      .filter((name) => !names.includes(name))
      .map((name) => ({
        label: `unknown query ${show(name)}`,
        apply: (draft: Draft) => ({ ...draft, query: [...draft.query, [percentEncode(name), '1']] }),
      })),
  ];
  for (const [name, field] of Object.entries(inputs.query)) {
    const invalid = invalidQuery(field.kind);
    if (!invalid) continue;
    breakers.push(
      invalid.map((value) => ({
        label: `?${name}=${show(value)}`,
        apply: (draft: Draft) => ({ ...draft, query: [...draft.query.filter(([key]) => key !== name), [name, percentEncode(value)]] }),
      })),
    );
    if (field.valid !== undefined) {
      const valid = percentEncode(String(field.valid));
      breakers.push(
        fc.constant({
          label: `?${name} given twice`,
          apply: (draft: Draft) => ({ ...draft, query: [...draft.query.filter(([key]) => key !== name), [name, valid], [name, valid]] }),
        }),
      );
    }
    if (field.required) {
      breakers.push(fc.constant({ label: `without ?${name}`, apply: (draft: Draft) => ({ ...draft, query: draft.query.filter(([key]) => key !== name) }) }));
    }
  }
  return breakers;
}

function headerBreakers(inputs: RouteInputs): fc.Arbitrary<Breaker>[] {
  if (!inputs.idempotencyKey) return [];
  const values: fc.Arbitrary<string | undefined> = inputs.idempotencyKey === 'required' ? fc.oneof(fc.constant(undefined), malformedIdempotencyKey) : malformedIdempotencyKey;
  return [
    values.map((value) => ({
      label: `idempotency-key: ${show(value)}`,
      apply: (draft: Draft) => ({ ...draft, headers: { ...draft.headers, 'idempotency-key': value === undefined ? undefined : headerBytes(value) } }),
    })),
  ];
}

function suffixBreakers(route: RouteEntry): fc.Arbitrary<Breaker>[] {
  return [
    fc
      .oneof(fc.constantFrom('x', '%00', '..', 'admin', '%2e%2e'), fc.string({ minLength: 1, maxLength: 20 }).map(percentEncode))
      .filter((segment) => segment !== '' && segment !== '.')
      .map((segment) => ({ label: `${route.path}/${segment}`, apply: (draft: Draft) => ({ ...draft, suffix: `/${segment}` }) })),
  ];
}

/** SPEC §7: a Last-Event-ID that is no stream entry id is answered on a 200 stream with `stream.reset`, never a 4xx. */
function unusableLastEventId(): fc.Arbitrary<Breaker>[] {
  const ids = fc.oneof(
    fc.constantFrom('abc', '-1', '1-', '-', '1-2-3', '1.5', '0x10', '99999999999999999999999-0', '1-99999999999999999999999', '18446744073709551616-0', 'null'),
    fc.string({ minLength: 1, maxLength: 30 }).filter((value) => !/^\d{1,20}(-\d{1,20})?$/.test(value.trim()) && value.trim() !== ''),
    nonAscii.map(headerBytes).filter((value) => value.trim() !== '' && value === value.trim()),
  );
  return [
    ids.map((id) => ({
      label: `last-event-id: ${show(id)}`,
      expect: 'stream-reset' as const,
      apply: (draft: Draft) => ({ ...draft, headers: { ...draft.headers, 'last-event-id': headerBytes(id).trim() } }),
    })),
  ];
}

// ---- noise: never a reason to refuse, never a way to make a request valid -------------------------

const noiseValue = fc.oneof(fc.string({ maxLength: 30 }), nonAscii, oddText, longText(100, 600));

function noise(route: RouteEntry): fc.Arbitrary<Record<string, string>> {
  const kind = authOf(route);
  const optional: Record<string, fc.Arbitrary<string>> = {
    'x-request-id': noiseValue,
    accept: fc.oneof(fc.constantFrom('*/*', 'text/html', 'application/xml', 'image/png;q=0.1', ''), noiseValue),
    'x-fuzz': noiseValue,
    'user-agent': noiseValue,
    'x-forwarded-for': fc.oneof(fc.constantFrom('127.0.0.1', '::1', '1.2.3.4, 5.6.7.8', 'unknown'), noiseValue),
  };
  if (route.path !== '/stream') optional['last-event-id'] = noiseValue;
  if (kind === 'operator') optional.authorization = noiseValue;
  if (kind === 'admin') optional['x-operator-key'] = noiseValue;
  if (!BODY_METHODS.has(route.method)) optional['content-type'] = noiseValue;
  return fc
    .record(optional, { requiredKeys: [] })
    .map((headers) => Object.fromEntries(Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, headerBytes(value)]]))));
}

// ---- putting it together ----------------------------------------------------------------------

function toWire(route: RouteEntry, draft: Draft, noiseHeaders: Record<string, string>): WireRequest {
  const path = route.path.replace(/:(\w+)/g, (_match, name: string) => draft.params[name] ?? 'missing') + (draft.suffix ?? '');
  const query = draft.query.map(([name, value]) => `${name}=${value}`).join('&');
  const headers: Record<string, string | string[]> = { ...noiseHeaders };
  for (const [name, value] of Object.entries(draft.headers)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { method: draft.method, path: query ? `${path}?${query}` : path, headers, body: draft.body };
}

/** A request otherwise valid, to the node's other listener: the admin API on the public port, the operator API on the admin port. */
const otherListener: fc.Arbitrary<Breaker> = fc.constant({ label: 'the other listener', apply: (draft: Draft) => ({ ...draft, otherListener: true }) });

function breakersFor(route: RouteEntry, routes: RouteEntry[], inputs: RouteInputs | undefined, fx: Fixtures): fc.Arbitrary<Breaker>[] {
  const elsewhere = onBothListeners(route) ? [] : [otherListener];
  const shared = [...credentialBreakers(route, fx), ...methodBreakers(route, routes), ...framingBreakers(route), ...encodingBreakers(route), ...elsewhere];
  if (!inputs) return shared;
  if (inputs.authOnly) return [...credentialBreakers(route, fx), ...elsewhere];
  return [
    ...shared,
    ...paramBreakers(inputs),
    ...bodyBreakers(inputs),
    ...queryBreakers(inputs),
    ...headerBreakers(inputs),
    ...suffixBreakers(route),
    ...(route.path === '/stream' ? unusableLastEventId() : []),
  ];
}

/** Fuzz cases for every route in the table (each route equally likely). */
export function fuzzCases(routes: AppRoute[], fx: Fixtures): fc.Arbitrary<FuzzCase> {
  const catalog = routeInputs(fx);
  const perRoute = routes.map((route) => {
    const inputs = catalog[routeKey(route)];
    const breakers = breakersFor(route, routes, inputs, fx);
    if (breakers.length === 0) throw new Error(`${routeKey(route)}: no way to make a request to it invalid; describe it in test/fuzz/catalog.ts`);
    const optionalBody = Object.entries(fieldsOf(inputs?.body)).filter(([, field]) => !field.required).map(([name]) => name);
    const optionalQuery = Object.entries(inputs?.query ?? {}).filter(([, field]) => !field.required && field.valid !== undefined).map(([name]) => name);
    return fc
      .record({
        breaker: fc.oneof(...breakers),
        noise: noise(route),
        body: fc.subarray(optionalBody),
        query: fc.subarray(optionalQuery),
        launchKey: fc.boolean(),
      })
      .map(({ breaker, noise: noiseHeaders, body, query, launchKey }): FuzzCase => {
        const draft = breaker.apply(validDraft(route, inputs, fx, { body, query, launchKey }));
        const listener = draft.otherListener ? (route.listener === 'admin' ? 'public' : 'admin') : route.listener;
        return { route: routeKey(route), listener, breaker: breaker.label, expect: breaker.expect ?? 'problem', request: toWire(route, draft, noiseHeaders) };
      });
  });
  return fc.oneof(...perRoute);
}

/** Catalog entries whose route is gone (a renamed path would silently stop being fuzzed in depth). */
export function staleCatalogEntries(routes: RouteEntry[], fx: Fixtures): string[] {
  const served = new Set(routes.map(routeKey));
  return Object.keys(routeInputs(fx)).filter((key) => !served.has(key));
}
