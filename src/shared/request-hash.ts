import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** A digest of a request body that ignores key order: "the same body" for idempotency. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(body) ?? null)).digest('hex');
}
