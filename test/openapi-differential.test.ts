import test from 'ava';
import fc from 'fast-check';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { z } from 'zod';
import { buildOpenApiDocument, openApiRegistry } from '../src/http/openapi/document.ts';

// Issue #22, "in both directions": for every path, query and header parameter and every
// top-level body field, random values are judged twice — by the zod schema the route parses
// with (what the server does) and by the schema the document publishes, read by ajv as an
// OpenAPI validator reads it (query strings coerced to the declared type, as ajv's
// `coerceTypes` does) — and the two verdicts must agree. The rules the document states only
// in words are the listed exceptions.

/** Request parts that are not one object of fields, so have no fields to compare one by one, and what covers them. */
const NOT_COMPARED: Record<string, string> = {
  'POST /bets body': 'one body per game (a discriminated union): test/contract.test.ts sends bets the document and the server judge alike',
};

/** The fields of a request part: an object's shape, also behind a transform (`.transform` makes a pipe). */
function shapeOf(schema: unknown): Record<string, z.ZodType> | undefined {
  const zod = schema as { shape?: Record<string, z.ZodType>; def?: { type?: string; in?: unknown } } | undefined;
  if (zod?.shape) return zod.shape;
  if (zod?.def?.type === 'pipe') return shapeOf(zod.def.in);
  return undefined;
}

/** Fields whose rule the document gives in its description, with why a schema cannot hold it. */
const IN_WORDS_ONLY: Record<string, string> = {
  'query.cursor': 'opaque: only a cursor this API made decodes to a position',
  // JSON in a query string: the game's schema judges what it parses to.
  'GET /fairness/verify query.config': "JSON text, judged by the game's config schema",
  'GET /fairness/verify query.params': "JSON text, judged by the game's params schema",
};

// Values near the edges of what the schemas take: ids, codes, numbers written oddly, dates,
// event-type lists, control characters, lone surrogates, astral characters.
const EDGE_STRINGS = [
  '', ' ', '0', '1', '-1', '1.5', '1e1', ' 5', '0x10', '5.0', '200', '201', '100', '101', '9007199254740991', '9007199254740992',
  'EUR', 'eur', 'MT', 'mt', 'dice', 'over', 'under', 'won', 'pending', 'bet.*', 'bet.won,session.launched', 'Bet.Won',
  '2024-05-01T00:00:00Z', '2024-05-01t00:00:00Z', '2024-05-01T00:00Z', '2024-05-01T00:00:00+16:00', '0000-01-01T00:00:00Z',
  '00000000-0000-0000-0000-000000000001', 'urn:uuid:0191b6c2-5a4e-7c3d-8f00-0123456789ab', '0191b6c2-5a4e-7c3d-8f00-0123456789ab',
  '0'.repeat(64), 'A'.repeat(64), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(255), 'x'.repeat(256), '💥'.repeat(100), '💥'.repeat(101),
  // Astral characters are 2 UTF-16 units and 1 character: lengths must be counted alike.
  '🔑'.repeat(10), '🔑'.repeat(129), 'a\u0000b', '\ud800', '\tname\n', '  name  ', 'ümlaut',
];
const stringValues = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', ' ', '-', '_', '.', '*', ',', ':', '+', 'T', 'é', '💥', '\t', '\u0000', '\ud800'), maxLength: 40 }),
  fc.uuid().map(String),
);
const bodyValues = fc.oneof(stringValues, fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.array(stringValues, { maxLength: 3 }), fc.dictionary(stringValues, fc.integer(), { maxKeys: 2 }));

interface Field {
  name: string;
  zod: z.ZodType;
  /** The field's schema in the document, wrapped so ajv may coerce it: `{ value }`. */
  validate: ValidateFunction;
  values: fc.Arbitrary<unknown>;
}

const DOCUMENT_ID = 'https://rgs.test/openapi.json';
const escape = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

function fieldsOf(): Field[] {
  const document = buildOpenApiDocument() as unknown as { paths: Record<string, Record<string, any>> };
  const strictAjv = new Ajv2020({ strict: false, unicodeRegExp: true });
  const coercingAjv = new Ajv2020({ strict: false, unicodeRegExp: true, coerceTypes: true });
  for (const ajv of [strictAjv, coercingAjv]) {
    addFormats.default(ajv);
    ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  }
  const wrapped = (ajv: Ajv2020, at: string) => ajv.compile({ type: 'object', properties: { value: { $ref: `${DOCUMENT_ID}#${at}` } }, required: ['value'] });
  const fields: Field[] = [];
  for (const definition of openApiRegistry().definitions) {
    if (definition.type !== 'route') continue;
    const { method, path, request } = definition.route;
    const operation = document.paths[path]![method]!;
    const at = `/paths/${escape(path)}/${method}`;
    const parts = [
      ['path', request?.params],
      ['query', request?.query],
      ['header', request?.headers],
    ] as const;
    for (const [location, schema] of parts) {
      if (schema === undefined) continue;
      const shape = shapeOf(schema);
      if (!shape) throw new Error(`${method.toUpperCase()} ${path} ${location}: not an object of fields; compare it another way`);
      for (const [name, zod] of Object.entries(shape)) {
        const index = (operation.parameters ?? []).findIndex((parameter: any) => parameter.in === location && parameter.name === name);
        if (index < 0) throw new Error(`${method.toUpperCase()} ${path}: ${location}.${name} is parsed but not documented`);
        // Query values arrive as strings: an OpenAPI validator coerces them to the declared type.
        const ajv = location === 'query' ? coercingAjv : strictAjv;
        fields.push({ name: `${method.toUpperCase()} ${path} ${location}.${name}`, zod: zod as z.ZodType, validate: wrapped(ajv, `${at}/parameters/${index}/schema`), values: stringValues });
      }
    }
    const body = (request?.body?.content['application/json'] as { schema?: unknown } | undefined)?.schema;
    if (body === undefined || `${method.toUpperCase()} ${path} body` in NOT_COMPARED) continue;
    const bodyShape = shapeOf(body);
    if (!bodyShape) throw new Error(`${method.toUpperCase()} ${path} body: not an object of fields; add it to NOT_COMPARED with what covers it`);
    for (const [name, zod] of Object.entries(bodyShape)) {
      const schemaAt = `${at}/requestBody/content/application~1json/schema/properties/${escape(name)}`;
      fields.push({ name: `${method.toUpperCase()} ${path} body.${name}`, zod: zod as z.ZodType, validate: wrapped(strictAjv, schemaAt), values: bodyValues });
    }
  }
  return fields;
}

test('for every parameter and body field, the document accepts exactly the values the server accepts', (t) => {
  const fields = fieldsOf();
  t.true(fields.length > 40, 'the API has its fields');
  const disagreements: string[] = [];
  for (const field of fields) {
    if (Object.keys(IN_WORDS_ONLY).some((key) => field.name === key || field.name.endsWith(` ${key}`))) continue;
    const judge = (value: unknown) => {
      const server = field.zod.safeParse(value).success;
      const documented = field.validate({ value });
      if (server !== documented) disagreements.push(`${field.name}: ${JSON.stringify(value)} — server ${server ? 'accepts' : 'refuses'}, document ${documented ? 'accepts' : 'refuses'}`);
    };
    for (const value of EDGE_STRINGS) judge(value);
    fc.assert(fc.property(field.values, judge), { numRuns: 500, seed: 22 });
  }
  t.deepEqual(disagreements.slice(0, 20), []);
});
