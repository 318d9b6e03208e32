import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

// SPEC §11: request bodies are size-limited.
const bodyLimitBytes = 64 * 1024;

export class PayloadTooLarge extends Error {}

/** The raw body bytes, as signed by the caller. Rejects with PayloadTooLarge past the limit. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining an oversized body instead of cutting the socket, so the client
      // reads a clean 413 rather than a connection error.
      if (size <= bodyLimitBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > bodyLimitBytes) reject(new PayloadTooLarge());
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: { path: string; message: string }[] };

/** Bad JSON and bodies the schema refuses both end as 400 VALIDATION_FAILED, never a 500. */
export function parseJson<T>(raw: Buffer, schema: z.ZodType<T>): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, issues: [{ path: '', message: 'body is not valid JSON' }] };
  }
  return parseValue(json, schema);
}

export function parseValue<T>(value: unknown, schema: z.ZodType<T>): Parsed<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  };
}

export function sendValidationFailed(res: ServerResponse, issues: { path: string; message: string }[]): void {
  sendJson(res, 400, { code: 'VALIDATION_FAILED', issues });
}
