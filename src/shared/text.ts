import { z } from 'zod';

// Control characters (NUL above all, which Postgres text refuses) and lone surrogates
// (which jsonb refuses) never belong in names or ids.
const ALLOWED = '[^\\p{Cc}\\p{Cs}]';
const ALLOWED_NOT_SPACE = '[^\\p{Cc}\\p{Cs}\\s]';

/**
 * Human text such as a name: 1 to `max` characters (code points) once trimmed, no control
 * characters. The one pattern is both what the server runs (with the `u` flag) and what the
 * OpenAPI document publishes, so a JSON Schema validator accepts exactly what the server
 * does: surrounding whitespace (`\s`, which is what String#trim removes) is allowed and
 * trimmed away, the text between starts and ends with a visible character.
 */
export function plainText(max: number) {
  const pattern = `^\\s*${ALLOWED_NOT_SPACE}(?:${ALLOWED}{0,${max - 2}}${ALLOWED_NOT_SPACE})?\\s*$`;
  return z
    .string()
    .regex(new RegExp(pattern, 'u'), `1–${max} characters once trimmed, no control characters or lone surrogates`)
    .trim()
    .meta({ pattern, description: `trimmed; then 1–${max} characters, no control characters` });
}

/** An identifier in printable ASCII with no surrounding spaces (ids end up in HMAC messages and logs). */
export function asciiId(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/, 'printable ASCII, no leading or trailing spaces');
}
