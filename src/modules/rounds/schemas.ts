import { z } from 'zod';
import { cursorSchema } from '../../http/pagination.ts';
import { playerIdSchema } from '../sessions/schemas.ts';

export const roundIdParams = z.object({ id: z.uuid() }).strict();

export const playerRoundsParams = z.object({ playerId: playerIdSchema }).strict();

// created_at to the microsecond, as Postgres keeps it: a millisecond cursor would skip or
// repeat rounds created within the same millisecond.
const roundPosition = z.tuple([z.iso.datetime({ precision: 6 }).refine((value) => !value.startsWith('0000-')), z.uuid()]);

/** `GET /players/:playerId/rounds` (SPEC §3 game recall): the last rounds, 10 unless asked. */
export const playerRoundsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    cursor: cursorSchema.pipe(roundPosition).optional(),
  })
  .strict();

export type PlayerRoundsQuery = z.infer<typeof playerRoundsQuery>;
