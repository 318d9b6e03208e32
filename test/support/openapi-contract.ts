import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Issue #22: the OpenAPI document read by a standard JSON Schema 2020-12 validator (ajv,
 * ECMAScript regexes with the `u` flag), as a generated client or a validating proxy reads
 * it — nothing of the product's own code or zod schemas. It judges a request before it is
 * sent and the answer it got; each violation names the operation, the status and the JSON
 * path.
 */

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
}

interface MediaTypes {
  content?: Record<string, { schema?: unknown }>;
}

export interface ContractOperation {
  parameters?: Parameter[];
  requestBody?: MediaTypes & { required?: boolean };
  responses: Record<string, MediaTypes & { headers?: Record<string, { required?: boolean; schema?: Record<string, unknown> }> }>;
  security?: Record<string, string[]>[];
}

export interface ContractDocument {
  paths: Record<string, Record<string, ContractOperation>>;
  components: Record<string, unknown>;
}

/** A request as the suite sends it: path parameters as they are put in the path (before percent-encoding). */
export interface ContractRequest {
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** The raw body and its media type; absent: no body. */
  body?: { contentType: string; text: string };
}

export interface ContractAnswer {
  status: number;
  headers: Headers;
  text: string;
}

const DOCUMENT_ID = 'https://rgs.test/openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const pointer = (...segments: string[]) => segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** A parameter's string as the type its schema wants (query, path and header values are strings on the wire). */
function typed(value: string, schema: Record<string, unknown> | undefined): unknown {
  const types = [schema?.type].flat();
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

export function openApiContract(document: ContractDocument) {
  const ajv = new Ajv2020({ strict: false, unicodeRegExp: true, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });

  const validators = new Map<string, ValidateFunction>();
  /** The schema at a JSON pointer of the document, compiled once; its `$ref`s resolve in the document. */
  const schemaAt = (at: string): ValidateFunction => {
    let validate = validators.get(at);
    if (!validate) {
      validate = ajv.getSchema(`${DOCUMENT_ID}#${at}`);
      if (!validate) throw new Error(`no schema at ${at}`);
      validators.set(at, validate);
    }
    return validate;
  };
  const errorsOf = (where: string, errors: ErrorObject[] | null | undefined) =>
    (errors ?? []).map((error) => `${where}${error.instancePath || ''}: ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`);

  /** Every documented operation, as `METHOD /path/{param}`. */
  function operations(): string[] {
    return Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => HTTP_METHODS.includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
  }

  function operationOf(key: string): { operation: ContractOperation; at: string } {
    const [method, path] = key.split(' ') as [string, string];
    const operation = document.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${key} is not documented`);
    return { operation, at: `/${pointer('paths', path, method.toLowerCase())}` };
  }

  /**
   * What the document says is wrong with `request` for operation `key` (such as `POST /bets`);
   * empty when it is a valid request. `expecting` (such as `201`) is named in each violation.
   */
  function requestViolations(key: string, request: ContractRequest, expecting = ''): string[] {
    const { operation, at } = operationOf(key);
    const where = `${key}${expecting && ` → ${expecting}`} request`;
    const violations: string[] = [];
    const headers = new Map(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    (operation.parameters ?? []).forEach((parameter, index) => {
      const raw =
        parameter.in === 'path'
          ? request.params?.[parameter.name]
          : parameter.in === 'query'
            ? request.query?.[parameter.name]
            : parameter.in === 'header'
              ? headers.get(parameter.name.toLowerCase())
              : undefined;
      const name = `${parameter.in}.${parameter.name}`;
      if (raw === undefined) {
        if (parameter.required) violations.push(`${where}: ${name} is required`);
        return;
      }
      let value = raw;
      if (parameter.in === 'path') {
        try {
          value = decodeURIComponent(raw);
        } catch {
          violations.push(`${where}: ${name} is not valid percent-encoding`);
          return;
        }
      }
      const validate = schemaAt(`${at}/parameters/${index}/schema`);
      if (!validate(typed(value, parameter.schema))) violations.push(...errorsOf(`${where}: ${name}`, validate.errors));
    });
    const body = operation.requestBody;
    if (!request.body) {
      if (body?.required) violations.push(`${where}: a body is required`);
      return violations;
    }
    if (!body) return [...violations, `${where}: the operation takes no body`];
    const mediaType = request.body.contentType.split(';')[0]!.trim().toLowerCase();
    if (!body.content?.[mediaType]) return [...violations, `${where}: body media type "${mediaType}" not documented`];
    if (body.content[mediaType].schema === undefined) return violations;
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body.text);
    } catch {
      return [...violations, `${where}: body is not JSON`];
    }
    const validate = schemaAt(`${at}/requestBody/content/${pointer(mediaType)}/schema`);
    if (!validate(parsed)) violations.push(...errorsOf(`${where}: body`, validate.errors));
    return violations;
  }

  /** What the document says is wrong with `answer` as an answer of operation `key`; empty when it is as documented. */
  function answerViolations(key: string, answer: ContractAnswer): string[] {
    const { operation, at } = operationOf(key);
    const where = `${key} → ${answer.status}`;
    const response = operation.responses[String(answer.status)];
    if (!response) return [`${where}: status not documented (${answer.text.slice(0, 300)})`];
    const violations: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = answer.headers.get(name);
      if (value === null) {
        if (header.required) violations.push(`${where}: header ${name} is missing`);
        continue;
      }
      const validate = schemaAt(`${at}/responses/${answer.status}/headers/${pointer(name)}/schema`);
      if (!validate(typed(value, header.schema))) violations.push(...errorsOf(`${where}: header ${name}`, validate.errors));
    }
    const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = response.content?.[mediaType];
    if (!content) return [...violations, `${where}: media type "${mediaType}" not documented`];
    if (content.schema === undefined || mediaType === 'text/event-stream' || mediaType === 'text/plain') return violations;
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      return [...violations, `${where}: body is not JSON: ${answer.text.slice(0, 200)}`];
    }
    const validate = schemaAt(`${at}/responses/${answer.status}/content/${pointer(mediaType)}/schema`);
    if (!validate(parsed)) violations.push(...errorsOf(`${where}: body`, validate.errors).map((line) => `${line} in ${answer.text.slice(0, 300)}`));
    return violations;
  }

  return { operations, operationOf, requestViolations, answerViolations };
}
