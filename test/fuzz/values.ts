import fc from 'fast-check';
import type { Kind } from './catalog.ts';

// Values that are certainly not valid for a kind of field, by SPEC §3/§5/§8 — never
// "probably invalid": a generated request that happened to be valid would be a false
// alarm, or worse, a real change to the database under test. Where a value could be
// valid in one place and not another (an unknown but well-formed uuid is a 404 in a path,
// but a valid filter in a query), the place decides which generators apply.

/** A JSON text fragment put into a body verbatim: numbers JS cannot hold, deep nesting, odd keys. */
export class RawJson {
  constructor(readonly text: string) {}
}

const raw = (text: string) => new RawJson(text);

/** JSON.stringify, with RawJson fragments spliced in as written. */
export function jsonText(value: unknown): string {
  const fragments: string[] = [];
  const text = JSON.stringify(value, (_key, inner: unknown) =>
    inner instanceof RawJson ? `\u0000rawjson:${fragments.push(inner.text) - 1}\u0000` : inner,
  );
  if (text === undefined) return 'null';
  return text.replace(/"\\u0000rawjson:(\d+)\\u0000"/g, (_match, index: string) => fragments[Number(index)] ?? 'null');
}

/** A JSON object from ordered entries, so keys such as `__proto__` and duplicates reach the wire. */
export function objectText(entries: [string, unknown][]): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${jsonText(value)}`).join(',')}}`;
}

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates included, unlike encodeURIComponent). */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

// ---- building blocks ------------------------------------------------------------------

const oddText = fc.constantFrom(
  '💥🎲',
  'ümlaut-ß-名前',
  '\u202eevil\u202c',
  '\ufeffbom',
  '﷽',
  'Ω≈ç√∫˜µ≤≥÷',
  'ℌ𝔢𝔩𝔩𝔬',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗̻͊',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'a\udfffb',
  '\u0007\u001b[31m',
  "'; DROP TABLE operators; --",
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '%s%s%n',
  '${jndi:ldap://x}',
);

/** Text with at least one character outside printable ASCII. */
const nonAscii = fc
  .tuple(fc.string({ maxLength: 12 }), fc.oneof(oddText, fc.string({ unit: 'binary', minLength: 1, maxLength: 12 })), fc.constantFrom('é', '中', '\u0085', '\u0000', '\u00a0'))
  .map(([ascii, odd, anchor]) => `${ascii}${odd}${anchor}`);

/** At least `min` characters however they are counted (UTF-16 units or code points: zod counts the latter). */
const longText = (min: number, max: number) =>
  fc.tuple(fc.integer({ min, max }), fc.constantFrom('x', 'é', '9', '💥', 'ab')).map(([length, unit]) => unit.repeat(Math.ceil(length / [...unit].length)));

const deepNesting = fc
  .tuple(fc.integer({ min: 2, max: 4000 }), fc.boolean())
  .map(([depth, arrays]) => raw(arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

const jsonNumbers = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE),
);

/** JSON values of every type but `type` (and never null where null is valid). */
function wrongType(type: 'string' | 'number' | 'object' | 'array', nullable = false): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [fc.boolean(), deepNesting];
  if (!nullable) options.push(fc.constant(null));
  if (type !== 'string') options.push(fc.oneof(fc.string({ maxLength: 20 }), oddText, fc.integer().map(String)));
  if (type !== 'number') options.push(jsonNumbers);
  if (type !== 'array') options.push(fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }));
  if (type !== 'object' && type !== 'array') options.push(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }));
  return fc.oneof(...options);
}

const notMatching = (pattern: RegExp, arbitrary: fc.Arbitrary<string>) => arbitrary.filter((value) => !pattern.test(value));

// ---- strings that are not what they should be -----------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const malformedUuid = fc.oneof(
  notMatching(UUID, fc.string({ minLength: 1, maxLength: 40 })),
  fc.uuid().map((uuid) => `${uuid}x`),
  fc.uuid().map((uuid) => uuid.replaceAll('-', '')),
  fc.uuid().map((uuid) => `{${uuid}}`),
  fc.uuid().map((uuid) => uuid.slice(1)),
  fc.uuid().map((uuid) => `${uuid.slice(0, 35)}g`),
  nonAscii,
  longText(100, 3000),
  fc.constantFrom('not-a-uuid', '123', '0', '-1', "1' OR '1'='1", 'null', 'undefined', '..', '.'),
);

/** An id printable ASCII without surrounding spaces can be (SPEC §3 playerId): everything else. */
const malformedAsciiId = (max: number) =>
  fc.oneof(
    fc.constant(''),
    fc.string({ minLength: 1, maxLength: 10 }).map((value) => ` ${value}`),
    fc.string({ minLength: 1, maxLength: 10 }).map((value) => `${value} `),
    fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\t', '\n', '\u0000', '\u007f', '\u0001')).map(([value, control]) => `a${control}${value}b`),
    nonAscii,
    longText(max + 1, max + 600),
  );

const malformedPlayerId = malformedAsciiId(128);

const printableAsciiOnly = /^[\x20-\x7e]+$/;
const malformedClientSeed = fc.oneof(
  fc.constant(''),
  longText(65, 400).map((value) => value.replace(/[^\x20-\x7e]/g, 'y')),
  notMatching(printableAsciiOnly, nonAscii),
);

/** Text no trimming can rescue: controls between other characters, or too long, or empty. */
const malformedName = fc.oneof(
  fc.constantFrom('', '   ', '\t\n'),
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.constantFrom('\u0000', '\u0001', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f', '\ud800', '\udfff'), fc.string({ maxLength: 20 }))
    .map(([before, control, after]) => `a${before}${control}${after}b`),
  longText(101, 2000).map((value) => value.replace(/\s/g, 'x')),
);

const malformedUrl = fc.oneof(
  fc.constantFrom('ftp://files.example.com', 'not a url', 'javascript:alert(1)', 'file:///etc/passwd', 'mailto:ops@example.com', 'ws://hooks.example.com', '//hooks.example.com/x', 'http//missing-colon.example.com', ''),
  fc.integer({ min: 2049, max: 6000 }).map((length) => `https://${'a'.repeat(length)}.example.com`),
  fc.string({ maxLength: 30 }).filter((value) => !value.includes(':')),
);

const malformedSecret = fc.oneof(fc.string({ maxLength: 15 }), longText(257, 2000));

const malformedAmount = fc.oneof(
  fc.constantFrom<unknown>(0, -1, 2 ** 53, 1.5, '100', null, 0.1, Number.MIN_VALUE, -(2 ** 53), 1e308, -1e308),
  fc.integer({ min: -(2 ** 31), max: 0 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Number.isInteger(value)),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 90n }).map((value) => raw(value.toString())),
  fc.constantFrom('1e400', '-1e400', '9007199254740993', '1.0000000000000002', '-0.0', '0e5', '1E999').map(raw),
  fc.integer({ min: 1, max: 10 ** 6 }).map(String),
  wrongType('number'),
);

const malformedRateLimit = fc.oneof(
  fc.constantFrom<unknown>(0, -1, 1.5, 1_000_001, 2 ** 53, '10', Number.MAX_VALUE, -Number.MAX_VALUE),
  fc.integer({ min: 1_000_001, max: 2 ** 40 }),
  // Huge numbers written out: beyond what a double or a Postgres integer holds.
  fc.bigInt({ min: 2n ** 31n, max: 10n ** 400n }).map((value) => raw(value.toString())),
  fc.constantFrom('1e400', '-1e400', '2147483648', '9223372036854775808', '1e-400', '1.0e6000').map(raw),
  fc.integer({ max: 0 }),
  wrongType('number', true),
);

const notDice = fc.oneof(fc.constantFrom('DICE', 'dice ', ' dice', 'Dice', 'roulette', 'dice\u0000', ''), fc.string({ maxLength: 12 }).filter((value) => value !== 'dice'));

const badTarget = fc.constantFrom<unknown>(-1, 0, 100, 101, 50.001, 33.333, 99.999, 1e9, '50', null, true, [], {});
const badDirection = fc.constantFrom<unknown>('OVER', 'Under', 'sideways', '', null, 1, 'over ', ['over'], {});

const malformedDiceParams = fc.oneof(
  wrongType('object'),
  badTarget.map((target) => ({ target, direction: 'over' })),
  badTarget.map((target) => ({ target, direction: 'under' })),
  badDirection.map((direction) => ({ target: 50, direction })),
  fc.constantFrom({ target: 50 }, { direction: 'over' }, {}, { target: 50, direction: 'over', multiplier: 2 }),
);

const jurisdictionCode = /^[A-Z]{2}$/;
const allJurisdictionCodes = Array.from({ length: 26 * 26 }, (_, index) => String.fromCharCode(65 + Math.floor(index / 26), 65 + (index % 26)));
const malformedJurisdiction = notMatching(jurisdictionCode, fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('mt', 'MTA', 'M', 'M1', 'ÄÖ', ' MT'), nonAscii));

const malformedJurisdictions = fc.oneof(
  wrongType('array'),
  fc.constantFrom(['MT', 'MT'], ['US', 'FR', 'US']),
  fc.tuple(fc.array(fc.constantFrom('US', 'FR', 'DE'), { maxLength: 2 }), malformedJurisdiction).map(([good, bad]) => [...new Set(good), bad]),
  fc.array(wrongType('string'), { minLength: 1, maxLength: 3 }),
  fc.integer({ min: 251, max: 600 }).map((count) => allJurisdictionCodes.slice(0, count)),
);

const currencyCode = /^[A-Z]{3}$/;
const malformedCurrency = notMatching(currencyCode, fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('eur', 'EURO', 'EU', '€€€', 'E1R', ' EUR', 'EUR '), nonAscii));

const limitNames = ['maxBet', 'dailyLossLimit', 'dailyWinLimit'] as const;
const manyCurrencies = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => [String.fromCharCode(65 + Math.floor(index / 676), 65 + (Math.floor(index / 26) % 26), 65 + (index % 26)), {}]));

const malformedCurrencyLimits = fc.oneof(
  wrongType('object'),
  fc.constantFrom<unknown>([], [{ EUR: {} }]),
  malformedCurrency.map((code) => raw(objectText([[code, {}]]))),
  fc.tuple(fc.constantFrom(...limitNames), malformedAmount).map(([name, amount]) => ({ EUR: { [name]: amount } })),
  fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !(limitNames as readonly string[]).includes(name)).map((name) => raw(objectText([['EUR', raw(objectText([[name, 1]]))]]))),
  wrongType('object').map((value) => ({ EUR: value })),
  fc.constantFrom('{"__proto__":{}}', '{"__proto__":{"maxBet":1}}', '{"EUR":{"__proto__":{}}}').map(raw),
  fc.integer({ min: 201, max: 400 }).map((count) => manyCurrencies(count)),
);

// ---- query values (strings on the wire) -------------------------------------------------

const queryLimit = (max: number) =>
  fc.oneof(
    fc.constantFrom('0', '-1', '1.5', 'abc', '', '1e400', 'Infinity', 'NaN', '-0', '٣', '1_000', '10abc', String(max + 1)),
    fc.integer({ min: max + 1 }).map(String),
    fc.integer({ max: 0 }).map(String),
    fc.string({ maxLength: 8 }).filter((value) => {
      const number = Number(value);
      return !(Number.isInteger(number) && number >= 1 && number <= max);
    }),
  );

const notATimestamp = fc.oneof(fc.string({ maxLength: 20 }).map((value) => `x${value}`), fc.integer().map(String), nonAscii);
const uuidShaped = fc.uuid();

/** Cursors no page of this API ever handed out, for any list. */
const malformedCursor = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{257,3000}$/),
  fc.constantFrom('!!!', 'not a cursor', 'a+b/c=', '=', '.', '%'),
  nonAscii,
  fc.string({ maxLength: 40 }).map((value) => b64(`x${value}`)),
  fc.oneof(jsonNumbers, fc.constant(null), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 })).map((value) => b64(JSON.stringify(value))),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }).filter((items) => items.length !== 2).map((items) => b64(JSON.stringify(items))),
  fc.tuple(fc.integer(), fc.integer()).map((pair) => b64(JSON.stringify(pair))),
  fc.tuple(notATimestamp, fc.oneof(uuidShaped, fc.string({ maxLength: 20 }))).map((pair) => b64(JSON.stringify(pair))),
  fc
    .tuple(
      fc.constantFrom(
        '2031-02-30T00:00:00.000000Z',
        '2031-02-30 00:00:00.000000+00',
        '0000-01-01T00:00:00.000000Z',
        '0000-01-01 00:00:00+00',
        '2031-01-01 00:00:00+99',
        '2031-13-01 00:00:00+00',
        '2031-01-01 25:00:00+00',
        `${'9'.repeat(60)}`,
        '',
      ),
      uuidShaped,
    )
    .map((pair) => b64(JSON.stringify(pair))),
);

const malformedTimestamp = fc.oneof(
  fc.constantFrom(
    'yesterday',
    '2031-03-01',
    '2031-02-30T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2031-13-01T00:00:00Z',
    '2031-01-01T24:00:00Z',
    '2031-01-01T00:00:00+16:00',
    '2031-01-01T00:00:00-23:59',
    '2031-01-01T00:00:00+23:00',
    '+275760-01-01T00:00:00Z',
    '1',
    '',
    'now',
  ),
  fc.integer().map(String),
  fc.date({ noInvalidDate: true }).map((date) => date.toString()),
  nonAscii,
);

const notInList = (values: readonly string[]) =>
  fc.oneof(fc.constantFrom(...values.map((value) => value.toUpperCase()), ...values.map((value) => `${value} `), ''), fc.string({ maxLength: 12 }).map((value) => `x${value}`));

const malformedEventTypes = fc.oneof(
  fc.constantFrom('BET.*', '*', 'bet..won', ',', 'bet.won,', '.bet', 'bet.*.won', 'bet-won', 'bet.**'),
  fc.integer({ min: 51, max: 120 }).map((count) => Array.from({ length: count }, () => 'bet.won').join(',')),
  longText(65, 300).map((value) => value.replace(/[^a-z]/g, 'a')),
  nonAscii,
);

const malformedServerSeed = fc.oneof(
  fc.constantFrom('A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), ''),
  fc.string({ maxLength: 70 }).filter((value) => !/^[0-9a-f]{64}$/.test(value)),
);

const malformedNonce = fc.oneof(fc.constantFrom('-1', '1.5', 'abc', '', '9007199254740993', '12345678901234567', '1e3', '0x10'), nonAscii);

// ---- by kind -----------------------------------------------------------------------------

/** Invalid JSON values for a body field of `kind`. */
export function invalidJson(kind: Kind, nullable = false): fc.Arbitrary<unknown> {
  const asString = (values: fc.Arbitrary<string>) => fc.oneof(values, wrongType('string', nullable));
  switch (kind) {
    case 'amount':
      return malformedAmount;
    case 'rateLimit':
      return malformedRateLimit;
    case 'uuid':
      // A well-formed id of nothing the operator owns is refused too (404), never used.
      return fc.oneof(asString(malformedUuid), uuidShaped);
    case 'playerId':
      return asString(malformedPlayerId);
    case 'currency':
      return asString(malformedCurrency);
    case 'jurisdiction':
      return asString(malformedJurisdiction);
    case 'clientSeed':
      return asString(malformedClientSeed);
    case 'name':
      return asString(malformedName);
    case 'url':
      return asString(malformedUrl);
    case 'secret':
      return asString(malformedSecret);
    case 'game':
      return asString(notDice);
    case 'diceParams':
      return malformedDiceParams;
    case 'jurisdictions':
      return malformedJurisdictions;
    case 'currencyLimits':
      return malformedCurrencyLimits;
    default:
      throw new Error(`no JSON generator for ${kind}`);
  }
}

/** Invalid query values (as text, before percent-encoding) for `kind`; undefined for kinds anything goes for. */
export function invalidQuery(kind: Kind): fc.Arbitrary<string> | undefined {
  switch (kind) {
    case 'limit':
      return queryLimit(200);
    case 'recallLimit':
      return queryLimit(100);
    case 'cursor':
      return malformedCursor;
    case 'timestamp':
      return malformedTimestamp;
    case 'uuid':
      return malformedUuid;
    case 'playerId':
      return malformedPlayerId;
    case 'action':
      return malformedAsciiId(100);
    case 'betStatus':
      return notInList(['debiting', 'crediting', 'credit_pending', 'credit_parked', 'rolling_back', 'won', 'lost', 'rejected', 'cancelled', 'parked']);
    case 'deliveryStatus':
      return notInList(['pending', 'delivered', 'failed']);
    case 'eventTypes':
      return malformedEventTypes;
    case 'serverSeed':
      return malformedServerSeed;
    case 'clientSeed':
      return malformedClientSeed;
    case 'nonce':
      return malformedNonce;
    case 'game':
      return notDice;
    case 'anything':
      return undefined;
    default:
      throw new Error(`no query generator for ${kind}`);
  }
}

/** Broken percent-encoding, which no route can decode: answered before any route runs. */
export const brokenPercentEncoding = fc.constantFrom('%', '%zz', '%E0%A4%A', 'a%', '%C0%AF', '%F0%9F%92', '%%', '%ED%A0%80');

/** Path segments (as sent) that are no id of `kind`: malformed, or well-formed ids of nothing that exists (404). */
export function invalidSegment(kind: Kind): fc.Arbitrary<string> {
  const encoded = (values: fc.Arbitrary<string>) => values.filter((value) => value !== '').map(percentEncode);
  const absent =
    kind === 'uuid' ? uuidShaped : fc.stringMatching(/^[a-z0-9]{4,20}$/).map((suffix) => `fuzz-nobody-${suffix}`);
  const malformed = kind === 'uuid' ? malformedUuid : malformedPlayerId;
  return fc.oneof(
    encoded(malformed),
    absent,
    brokenPercentEncoding,
    fc.constantFrom('%00', 'a%00b', '%2F', '%2F..%2F', '%20', '%0A'),
    // Raw non-ASCII bytes in the request line, as a careless client sends them.
    nonAscii.map((value) => Buffer.from(value.replace(/[\x00-\x20\x7f]/g, ''), 'utf8').toString('latin1')).filter((value) => value !== '' && !value.includes('%') && !value.includes('/') && !value.includes('?') && !value.includes('#')),
    fc.integer({ min: 2_000, max: 20_000 }).map((length) => 'x'.repeat(length)),
  );
}

/** A header value that is no Idempotency-Key (SPEC §3: printable ASCII, at most 255 characters). */
export const malformedIdempotencyKey = fc.oneof(
  fc.constant(''),
  longText(256, 3000).map((value) => value.replace(/[^\x21-\x7e]/g, 'k')),
  nonAscii.map((value) => `k${value.replace(/[\x00-\x1f\x7f]/g, '')}é`),
  fc.string({ minLength: 1, maxLength: 10 }).map((value) => `a\t${value.replace(/\s/g, '')}b`),
);

export { longText, nonAscii, oddText };
