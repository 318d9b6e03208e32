import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { apiDocsRoutes } from '../src/http/openapi/routes.ts';
import { request } from './support/http.ts';

// Issue #22: every `pattern` of the served document must mean for a standard JSON Schema
// 2020-12 validator what it means for the server. Each one is compiled by ajv (ECMAScript
// regexes with the `u` flag, as JSON Schema says) and checked with a value the server takes
// and values it refuses. The samples are checked against the whole schema that holds the
// pattern, so its format and lengths count too.

interface Samples {
  valid: string[];
  invalid: string[];
}

const UUID: Samples = {
  valid: [randomUUID(), '0191b6c2-5a4e-7c3d-8f00-0123456789ab', '00000000-0000-0000-0000-000000000000'],
  // zod's uuid wants an RFC 9562 version and variant; JSON Schema's format alone admits these.
  invalid: [`urn:uuid:${randomUUID()}`, '00000000-0000-0000-0000-000000000001', 'not-a-uuid', ''],
};
const PLAYER_ID: Samples = { valid: ['player-1', 'a b', 'x'.repeat(128)], invalid: ['', ' lead', 'trail ', 'ü', 'a\u0000b', 'x'.repeat(129)] };
const CURRENCY: Samples = { valid: ['EUR'], invalid: ['eur', 'EURO', '€', '__proto__'] };
const JURISDICTION: Samples = { valid: ['MT'], invalid: ['mt', 'MLT', ''] };
const CLIENT_SEED: Samples = { valid: ['my seed', ' ', '~'.repeat(64)], invalid: ['', 'é', 'tab\t', 'x'.repeat(65)] };
const SEED_HEX: Samples = { valid: ['0'.repeat(64), 'abcdef0123456789'.repeat(4)], invalid: ['A'.repeat(64), '0'.repeat(63), '0'.repeat(65)] };
const NONCE: Samples = { valid: ['0', '0000000000000001', '8999999999999999', '9007199254740991'], invalid: ['-1', '1.5', '1e3', '9007199254740992', '9999999999999999', '12345678901234567'] };
const AMOUNT_TEXT: Samples = { valid: ['1', '100', '9007199254740991'], invalid: ['0', '01', '-1', '1.5', '9007199254740992', '12345678901234567'] };
const CURSOR: Samples = { valid: ['WyIyMDI0IiwiaWQiXQ', 'a-b_c'], invalid: ['a+b', 'a/b=', '', 'x'.repeat(257)] };
const IDEMPOTENCY_KEY: Samples = { valid: ['key-1', 'a b', 'x'.repeat(255)], invalid: ['', ' a', 'a ', 'é', 'x'.repeat(256)] };
const AUDIT_ACTION: Samples = { valid: ['bet.placed'], invalid: ['', ' bet', 'x'.repeat(101)] };
const TIMESTAMP: Samples = {
  valid: ['2024-05-01T00:00:00Z', '2024-05-01T12:30:59.123456+15:59', '2024-02-29T00:00:00-01:00'],
  // The server refuses a lowercase t, no seconds, offsets past ±15:59, year 0000, a leap second.
  invalid: ['2024-05-01t00:00:00Z', '2024-05-01T00:00Z', '2024-05-01T00:00:00+16:00', '0000-01-01T00:00:00Z', '2016-12-31T23:59:60Z', '2023-02-29T00:00:00Z', 'yesterday'],
};
const EVENT_TYPES: Samples = {
  valid: ['bet.won', 'bet.*,session.launched', 'a_b', Array.from({ length: 50 }, () => 'bet.won').join(','), 'a'.repeat(64)],
  invalid: ['', 'Bet.won', 'bet.', 'bet,,session', '*', Array.from({ length: 51 }, () => 'bet.won').join(','), 'a'.repeat(65)],
};
const OPERATOR_NAME: Samples = {
  valid: ['Acme', '  Acme Casino  ', '\tAcme\n', 'ümlaut-ß-名前', 'x'.repeat(100), ` ${'x'.repeat(100)} `, '💥'.repeat(100)],
  invalid: ['', ' ', '\t\n', 'a\u0000b', 'a\u0007b', '\ud800', 'x'.repeat(101), '💥'.repeat(101)],
};
const HTTP_URL: Samples = {
  valid: ['https://wallet.example.com/api', 'http://127.0.0.1:8080/hooks?x=1#f', 'HTTPS://EXAMPLE.COM', 'http://[::1]:65535/', 'http://a'],
  invalid: [
    'urn:isbn:0451450523',
    'ftp://example.com/file',
    'http://',
    'http:/x',
    'mailto:a@example.com',
    'http://a b',
    '//example.com',
    'http://a:b',
    'http://a:65536',
    'http://a%20b',
  ],
};
const AUDIT_ID: Samples = { valid: ['1', '9223372036854775807'], invalid: ['0', '01', '-1', 'a'] };

/**
 * Where each pattern is, as a JSON pointer into the document with a parameter named by
 * `in:name` instead of its index; `*` stands for one segment and `**` for any number. The
 * first entry that matches a pattern's place gives its samples; a pattern no entry matches,
 * or an entry that matches nothing, fails the test.
 */
const PATTERN_SAMPLES: [string, Samples][] = [
  ['/components/schemas/AuditEntry/properties/id', AUDIT_ID],
  ['**/properties/id', UUID],
  ['**/properties/betId', UUID],
  ['**/properties/roundId', UUID],
  ['**/properties/eventId', UUID],
  ['**/properties/sessionToken', UUID],
  ['**/parameters/path:id/schema', UUID],
  ['**/parameters/path:token/schema', UUID],
  ['**/parameters/query:roundId/schema', UUID],
  ['**/properties/playerId', PLAYER_ID],
  ['**/parameters/query:playerId/schema', PLAYER_ID],
  ['**/parameters/path:playerId/schema', PLAYER_ID],
  ['**/properties/currency', CURRENCY],
  ['**/currencies/propertyNames', CURRENCY],
  ['**/properties/jurisdiction', JURISDICTION],
  ['**/blockedJurisdictions/items', JURISDICTION],
  ['**/properties/clientSeed', CLIENT_SEED],
  ['**/parameters/query:clientSeed/schema', CLIENT_SEED],
  ['**/properties/serverSeedHash', SEED_HEX],
  ['**/properties/serverSeed', SEED_HEX],
  ['**/parameters/query:serverSeed/schema', SEED_HEX],
  ['**/parameters/query:nonce/schema', NONCE],
  ['**/parameters/query:amount/schema', AMOUNT_TEXT],
  ['**/parameters/query:cursor/schema', CURSOR],
  ['**/parameters/header:idempotency-key/schema', IDEMPOTENCY_KEY],
  ['/paths/~1audit/get/parameters/query:action/schema', AUDIT_ACTION],
  ['**/parameters/query:from/schema', TIMESTAMP],
  ['**/parameters/query:to/schema', TIMESTAMP],
  ['/paths/~1stream/get/parameters/query:types/schema', EVENT_TYPES],
  ['**/properties/name', OPERATOR_NAME],
  ['**/properties/walletUrl', HTTP_URL],
  ['**/properties/webhookUrl', HTTP_URL],
];

function matches(pattern: string[], place: string[]): boolean {
  if (pattern.length === 0) return place.length === 0;
  const [head, ...rest] = pattern;
  if (head === '**') return place.some((_, skip) => matches(rest, place.slice(skip))) || matches(rest, []);
  return place.length > 0 && (head === '*' || head === place[0]) && matches(rest, place.slice(1));
}

interface PatternPlace {
  place: string;
  schema: Record<string, unknown>;
}

const escape = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

/** Every object of the document with a `pattern` string, and where it is. */
function patternPlaces(node: unknown, place = ''): PatternPlace[] {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) {
    return node.flatMap((item, index) => {
      const parameter = item as { in?: string; name?: string };
      const segment = place.endsWith('/parameters') && parameter.in ? `${parameter.in}:${parameter.name}` : String(index);
      return patternPlaces(item, `${place}/${escape(segment)}`);
    });
  }
  const schema = node as Record<string, unknown>;
  const own = typeof schema.pattern === 'string' ? [{ place, schema }] : [];
  return [...own, ...Object.entries(schema).flatMap(([key, value]) => patternPlaces(value, `${place}/${escape(key)}`))];
}

let document: Record<string, unknown>;

test.before(async () => {
  const server = express().use(apiDocsRoutes()).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const answer = await request('GET', `http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`);
    document = answer.body;
  } finally {
    server.close();
  }
});

test('every pattern of the served document compiles as an ECMAScript regex with the u flag and means what the server means', (t) => {
  const ajv = new Ajv2020({ strict: true, strictTypes: false, unicodeRegExp: true, allErrors: true });
  addFormats.default(ajv);
  const places = patternPlaces(document);
  t.true(places.length > 50, 'the document has its patterns');
  const used = new Set<string>();
  for (const { place, schema } of places) {
    const entry = PATTERN_SAMPLES.find(([key]) => matches(key.split('/'), place.split('/')));
    if (!entry) {
      t.fail(`${place}: pattern ${String(schema.pattern)} has no samples in PATTERN_SAMPLES`);
      continue;
    }
    used.add(entry[0]);
    const validate = ajv.compile({ ...schema, description: undefined });
    for (const value of entry[1].valid) t.true(validate(value), `${place}: ${JSON.stringify(value)} is refused: ${ajv.errorsText(validate.errors)}`);
    for (const value of entry[1].invalid) t.false(validate(value), `${place}: ${JSON.stringify(value)} is accepted`);
  }
  t.deepEqual(
    PATTERN_SAMPLES.map(([key]) => key).filter((key) => !used.has(key)),
    [],
    'entries that match no pattern of the document',
  );
});

test('no pattern carries regex-literal slashes or flags (a JavaScript regex printed whole)', (t) => {
  for (const { place, schema } of patternPlaces(document)) {
    t.notRegex(String(schema.pattern), /\/[dgimsuvy]*$/, place);
  }
});
