import test from 'ava';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../src/http/openapi/document.ts';

// Issue #22 point 4: every operation shows a request and an answer example (what "Try it
// out" on /docs fills in), and every example is valid for its own schema as a standard
// JSON Schema 2020-12 validator reads it (ajv, `u`-flag regexes, formats) — an example
// the server would refuse, or an answer it could never give, fails here.

const DOCUMENT_ID = 'https://rgs.test/openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Example {
  /** `METHOD /path` and where in it, e.g. `POST /bets body`. */
  where: string;
  /** JSON pointer of the schema the example must satisfy. */
  schemaAt: string;
  example: unknown;
}

const pointer = (...segments: string[]) => `/${segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

const document = JSON.parse(JSON.stringify(buildOpenApiDocument())) as {
  paths: Record<string, Record<string, any>>;
  components: Record<string, unknown>;
};

/** Every example of the document with the schema it stands next to; and what is missing one. */
function examplesOf(): { examples: Example[]; missing: string[] } {
  const examples: Example[] = [];
  const missing: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item).filter(([method]) => HTTP_METHODS.includes(method))) {
      const key = `${method.toUpperCase()} ${path}`;
      (operation.parameters ?? []).forEach((parameter: any, index: number) => {
        const where = `${key} ${parameter.in}.${parameter.name}`;
        if (parameter.example !== undefined) examples.push({ where, schemaAt: pointer('paths', path, method, 'parameters', String(index), 'schema'), example: parameter.example });
        else if (parameter.required) missing.push(where);
      });
      for (const [mediaType, content] of Object.entries<any>(operation.requestBody?.content ?? {})) {
        const where = `${key} body (${mediaType})`;
        if (content.example !== undefined) examples.push({ where, schemaAt: pointer('paths', path, method, 'requestBody', 'content', mediaType, 'schema'), example: content.example });
        else if (operation.requestBody.required) missing.push(where);
      }
      const successes = Object.keys(operation.responses).filter((status) => status.startsWith('2'));
      const answered = successes.flatMap((status) =>
        Object.entries<any>(operation.responses[status].content ?? {})
          .filter(([, content]) => content.example !== undefined)
          .map(([mediaType, content]) => ({
            where: `${key} → ${status} (${mediaType})`,
            schemaAt: pointer('paths', path, method, 'responses', status, 'content', mediaType, 'schema'),
            example: content.example,
          })),
      );
      if (answered.length === 0) missing.push(`${key} success answer`);
      examples.push(...answered);
    }
  }
  return { examples, missing };
}

function validator() {
  const ajv = new Ajv2020({ strict: false, unicodeRegExp: true, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  return (example: Example): string[] => {
    const validate = ajv.getSchema(`${DOCUMENT_ID}#${example.schemaAt}`);
    if (!validate) return [`${example.where}: no schema at ${example.schemaAt}`];
    if (validate(example.example)) return [];
    return (validate.errors ?? []).map((error) => `${example.where}${error.instancePath}: ${error.message} ${JSON.stringify(error.params)}`);
  };
}

test('every operation has an answer example, and an example for its body and each required parameter', (t) => {
  const { examples, missing } = examplesOf();
  t.deepEqual(missing, []);
  // 28 operations at the time of writing: the walk found them all, not an empty document.
  t.true(examples.length >= 28, `${examples.length} examples`);
});

test('every example is valid for its own schema, read by a standard JSON Schema 2020-12 validator', (t) => {
  const check = validator();
  const violations = examplesOf().examples.flatMap(check);
  t.deepEqual(violations, []);
});

test('the check refuses an example the server would refuse', (t) => {
  const check = validator();
  const bet = examplesOf().examples.find((example) => example.where === 'POST /bets body (application/json)');
  if (!bet) return t.fail('POST /bets has no body example');
  t.deepEqual(check(bet), []);
  const broken = { ...bet, example: { ...(bet.example as object), amount: 0, currency: 'EUR' } };
  const violations = check(broken);
  t.true(violations.some((violation) => violation.includes('/amount')), violations.join('\n'));
});
