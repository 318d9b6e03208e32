import { z } from 'zod';
import { cursorSchema, limitSchema } from '../../http/pagination.ts';
import { asciiId } from '../../shared/text.ts';
import { playerIdSchema } from '../sessions/schemas.ts';

// Postgres has no year 0000 (it is 1 BC); refusing it keeps every accepted value storable.
const timestamp = z.iso
  .datetime({ offset: true, error: 'an ISO 8601 date-time such as 2024-05-01T00:00:00Z' })
  .refine((value) => !value.startsWith('0000-'), { error: 'year 0000 does not exist' });

// The audit trail pages by id alone (its identity order); the time is there for readers.
const auditPosition = z.tuple([z.iso.datetime(), z.string().regex(/^[1-9][0-9]{0,17}$/)]);

/** `GET /audit` (SPEC §3): from is inclusive, to exclusive. */
export const auditQuery = z
  .object({
    action: asciiId(100).optional(),
    playerId: playerIdSchema.optional(),
    from: timestamp.optional(),
    to: timestamp.optional(),
    cursor: cursorSchema.pipe(auditPosition).optional(),
    limit: limitSchema,
  })
  .strict();

export type AuditQuery = z.infer<typeof auditQuery>;
