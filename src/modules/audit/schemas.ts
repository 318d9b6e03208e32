import { z } from 'zod';
import { cursorSchema, limitSchema, pageSchema } from '../../shared/pagination.ts';
import { asciiId } from '../../shared/text.ts';
import { isoTimestamp } from '../../shared/timestamp.ts';
import { playerIdSchema } from '../../shared/schemas.ts';

// The audit trail pages by created_at to the microsecond, as Postgres keeps it (a
// millisecond cursor would skip or repeat rows of one millisecond), then by id.
const auditPosition = z.tuple([
  z.iso.datetime({ precision: 6 }).refine((value) => !value.startsWith('0000-')),
  z.string().regex(/^[1-9][0-9]{0,17}$/),
]);

/** `GET /audit` (SPEC §3): from is inclusive, to exclusive. */
export const auditQuery = z
  .object({
    action: asciiId(100).optional(),
    playerId: playerIdSchema.optional(),
    from: isoTimestamp.optional(),
    to: isoTimestamp.optional(),
    cursor: cursorSchema.pipe(auditPosition).optional(),
    limit: limitSchema,
  })
  .strict();

/** SPEC §3 audit entry (`AuditView`). */
const auditEntry = z
  .object({
    id: z.string().regex(/^[1-9][0-9]*$/).meta({ description: 'a 64-bit integer, as a string so no client rounds it' }),
    action: z.string().meta({ description: 'such as session.launched, bet.placed, bet.settled, wallet.debit, admin.*' }),
    actor: z.enum(['operator', 'admin', 'system']),
    playerId: z.string().nullable(),
    betId: z.uuid().nullable(),
    data: z.record(z.string(), z.unknown()),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'AuditEntry' });

export const auditPage = pageSchema(auditEntry);

export type AuditQuery = z.infer<typeof auditQuery>;
