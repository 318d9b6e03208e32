import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** An HTTP answer as test/support/http.ts `request` returns it. */
interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

interface MediaType {
  schema?: unknown;
}

interface Operation {
  responses: Record<string, { content?: Record<string, MediaType>; headers?: Record<string, { required?: boolean }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const DOCUMENT_ID = 'https://rgs.test/openapi.json';

/**
 * Object schemas closed to undocumented fields, so an answer carrying a field the document
 * does not describe fails the check (the document would have drifted from the code).
 */
function closed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(closed);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, closed(inner)]));
  const isObjectSchema = typeof copy.properties === 'object' && (copy.type === 'object' || copy.type === undefined);
  if (isObjectSchema && !('additionalProperties' in copy) && !('unevaluatedProperties' in copy)) copy.unevaluatedProperties = false;
  return copy;
}

/** Checks real answers against what the OpenAPI document says about them. */
export function openApiConformance(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: DOCUMENT_ID, components: closed(document.components) });

  /** The schema, its references pointed at the document's components. */
  const compile = (schema: unknown) =>
    ajv.compile(JSON.parse(JSON.stringify(closed(schema)).replaceAll('"$ref":"#/', `"$ref":"${DOCUMENT_ID}#/`)));

  /**
   * What is wrong with `answer` as an answer of `method path` (a path of the document, such
   * as `/bets/{id}`): an undocumented status, media type or required header, or a body that
   * does not match its schema. Empty when the answer is as documented.
   */
  function mismatches(method: string, path: string, answer: Answer): string[] {
    const operation = document.paths[path]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${path} is not documented`];
    const where = `${method} ${path} → ${answer.status}`;
    const response = operation.responses[String(answer.status)];
    if (!response) return [`${where}: status not documented (${JSON.stringify(answer.body)})`];
    const problems: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (header.required && !answer.headers.has(name)) problems.push(`${where}: documented header ${name} missing`);
    }
    const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = response.content?.[mediaType];
    if (!content) return [...problems, `${where}: media type "${mediaType}" not documented`];
    if (content.schema !== undefined) {
      const validate = compile(content.schema);
      if (!validate(answer.body)) problems.push(`${where}: body does not match: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(answer.body)}`);
    }
    return problems;
  }

  return { mismatches };
}
