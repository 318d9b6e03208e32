import { z } from 'zod';
import { cursorSchema, limitSchema } from '../../http/pagination.ts';
import { playerIdSchema } from '../sessions/schemas.ts';

// Postgres has no year 0000 (it is 1 BC); refusing it keeps every accepted value storable.
const timestamp = z.iso
  .datetime({ offset: true, error: 'an ISO 8601 date-time such as 2024-05-01T00:00:00Z' })
  .refine((value) => !value.startsWith('0000-'), { error: 'year 0000 does not exist' });

// created_at to the microsecond, as Postgres keeps it: a millisecond cursor would skip or
// repeat rows created within the same millisecond.
const transactionPosition = z.tuple([
  z.iso.datetime({ precision: 6 }).refine((value) => !value.startsWith('0000-')),
  z.string().min(1),
]);

/** `GET /transactions` (SPEC §3 reconciliation): from is inclusive, to exclusive. */
export const transactionsQuery = z
  .object({
    from: timestamp.optional(),
    to: timestamp.optional(),
    roundId: z.uuid().optional(),
    playerId: playerIdSchema.optional(),
    cursor: cursorSchema.pipe(transactionPosition).optional(),
    limit: limitSchema,
  })
  .strict();

export type TransactionsQuery = z.infer<typeof transactionsQuery>;
