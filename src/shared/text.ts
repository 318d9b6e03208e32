import { z } from 'zod';

// Control characters (NUL above all, which Postgres text refuses) and lone surrogates
// (which jsonb refuses) never belong in names or ids.
const NO_CONTROL_CHARACTERS = /^[^\p{Cc}\p{Cs}]*$/u;

/** Human text such as a name: trimmed, no control characters. */
export function plainText(min: number, max: number) {
  return z.string().trim().min(min).max(max).regex(NO_CONTROL_CHARACTERS, 'no control characters or lone surrogates');
}

/** An identifier in printable ASCII with no surrounding spaces (ids end up in HMAC messages and logs). */
export function asciiId(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/, 'printable ASCII, no leading or trailing spaces');
}
