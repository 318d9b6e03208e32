import { z } from 'zod';
import { playerIdSchema } from '../../shared/schemas.ts';

const MAX_TYPE_TOKENS = 50;
// An event type (`bet.won`) or a wildcard over a prefix (`bet.*`).
const TYPE_TOKEN = /^[a-z_]+(\.[a-z_]+)*(\.\*)?$/;

// The same list as one pattern, for JSON Schema validators: 1–50 comma-separated tokens of at most 64 characters.
const TOKEN_PATTERN = '(?=[^,]{1,64}(?:,|$))[a-z_]+(?:\\.[a-z_]+)*(?:\\.\\*)?';

const typesSchema = z
  .string()
  .max(MAX_TYPE_TOKENS * 65)
  .meta({ pattern: `^${TOKEN_PATTERN}(?:,${TOKEN_PATTERN}){0,${MAX_TYPE_TOKENS - 1}}$` })
  .transform((raw) => raw.split(','))
  .pipe(
    z
      .array(z.string().max(64).regex(TYPE_TOKEN, 'an event type such as bet.won, or a wildcard such as bet.*'))
      .min(1)
      .max(MAX_TYPE_TOKENS),
  );

/**
 * GET /stream query (SPEC §7). `lastEventId` is read but never refused here: an unusable
 * id is answered with `stream.reset` on a 200 (see `resumeFrom`).
 */
export const streamQuery = z
  .object({
    types: typesSchema.optional(),
    playerId: playerIdSchema.optional(),
    lastEventId: z.unknown().optional(),
  })
  .strict();
